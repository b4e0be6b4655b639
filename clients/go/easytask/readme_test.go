package easytask_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Every `package main` example users copy from README.md runs here as they
// would run it: in a module of its own, set up with the README's install
// lines next to a clone of this repository, against a server started from
// the same environment as the example (EASYTASK_URL and EASYTASK_TOKEN
// included, which the server leaves to its clients). Each prints what the
// README says it prints.
func TestReadmeExamples(t *testing.T) {
	raw, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	install := regexp.MustCompile("(?s)## Install\n.*?```sh\n(.*?)```").FindStringSubmatch(readme)
	if install == nil {
		t.Fatal("README.md has no ```sh block under ## Install")
	}
	examples := regexp.MustCompile("(?s)```go\n(package main\n.*?)```\n\nIt prints:\n\n```text\n(.*?)```").FindAllStringSubmatch(readme, -1)
	if len(examples) < 3 {
		t.Fatalf("README.md has %d `package main` examples followed by what they print, want 3", len(examples))
	}
	if n := strings.Count(readme, "```go\npackage main\n"); n != len(examples) {
		t.Fatalf("%d of README.md's %d `package main` examples do not say what they print", n-len(examples), n)
	}
	root := repoRoot(t)
	for i, example := range examples {
		// ../easytask is the clone the install lines name.
		dir := t.TempDir()
		if err := os.Symlink(root, filepath.Join(dir, "easytask")); err != nil {
			t.Fatal(err)
		}
		app := filepath.Join(dir, "app")
		if err := os.Mkdir(app, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(app, "main.go"), []byte(example[1]), 0o644); err != nil {
			t.Fatal(err)
		}
		env := []string{"EASYTASK_TOKEN=" + testToken, "EASYTASK_URL=http://127.0.0.1:1"}
		url := startEasytask(t, append(env, "EASYTASK_AUTH__TOKENS="+testToken)...)
		env = append(os.Environ(), "EASYTASK_TOKEN="+testToken, "EASYTASK_URL="+url)
		steps := append([]string{"go mod init example"}, strings.Split(strings.TrimSpace(install[1]), "\n")...)
		for _, step := range append(steps, "go run .") {
			cmd := exec.Command("sh", "-c", step)
			cmd.Dir, cmd.Env = app, env
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("example %d: %s: %v\n%s%s", i+1, step, err, stdout.String(), stderr.String())
			}
			if step == "go run ." && stdout.String() != example[2] {
				t.Fatalf("example %d printed %q, want %q; stderr:\n%s", i+1, stdout.String(), example[2], stderr.String())
			}
		}
	}
}
