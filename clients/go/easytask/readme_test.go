package easytask_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
)

// The example users copy from README.md is the one that runs here: as a
// module of its own that requires this one.
func TestReadmeExample(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	example := regexp.MustCompile("(?s)```go\n(package main.*?)```").FindSubmatch(readme)
	if example == nil {
		t.Fatal("README.md has no ```go block with package main")
	}
	sdk, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	goMod := "module example\n\ngo 1.26.0\n\nrequire github.com/easytask/easytask/clients/go v0.0.0\n\nreplace github.com/easytask/easytask/clients/go => " + sdk + "\n"
	sums, err := os.ReadFile(filepath.Join(sdk, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string][]byte{"go.mod": []byte(goMod), "go.sum": sums, "main.go": example[1]} {
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	url := startEasytask(t)
	for _, args := range [][]string{{"mod", "tidy"}, {"run", "."}} {
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "EASYTASK_URL="+url)
		out, err := cmd.Output()
		if err != nil {
			stderr := ""
			if exit, ok := err.(*exec.ExitError); ok {
				stderr = string(exit.Stderr)
			}
			t.Fatalf("go %v: %v\n%s%s", args, err, out, stderr)
		}
		if args[0] == "run" && string(out) != "run 1 of daily-report with {\"team\":7}\n" {
			t.Fatalf("the example printed %q", out)
		}
	}
}
