package easytask_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// repoRoot is the easytask repository this module sits in.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "dist", "src", "main.js")); err != nil {
		t.Fatalf("the easytask server is not built: run `npm ci` (or `npm run build`) in %s first", root)
	}
	return root
}

// startEasytask runs the easytask command as users do, on a fresh SQLite
// file and a free port, and returns its base URL.
func startEasytask(t *testing.T, env ...string) string {
	t.Helper()
	root := repoRoot(t)
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node (Node.js 20+) is needed to run the easytask server:", err)
	}
	cmd := exec.Command(node, filepath.Join(root, "bin", "easytask.js"))
	cmd.Env = append(os.Environ(),
		"EASYTASK_SQLITE__PATH="+filepath.Join(t.TempDir(), "e.db"),
		"EASYTASK_API_SERVER__HTTP__HOST=127.0.0.1",
		"EASYTASK_API_SERVER__HTTP__PORT=0",
		"EASYTASK_HEALTH_CHECK_INTERVAL_SEC=0.2",
	)
	cmd.Env = append(cmd.Env, env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ports := make(chan int, 1)
	read := make(chan struct{})
	go func() {
		defer close(read)
		defer close(ports)
		lines := bufio.NewScanner(stdout)
		lines.Buffer(nil, 1<<20)
		for lines.Scan() {
			var record struct {
				Msg  string `json:"msg"`
				Port int    `json:"port"`
			}
			if json.Unmarshal(lines.Bytes(), &record) == nil && record.Msg == "easytask node started" {
				ports <- record.Port
			}
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		<-read
		_ = cmd.Wait()
	})
	select {
	case port, ok := <-ports:
		if !ok {
			<-read
			_ = cmd.Wait()
			t.Fatalf("easytask exited before serving: %s", stderr.String())
		}
		return fmt.Sprintf("http://127.0.0.1:%d", port)
	case <-time.After(60 * time.Second):
		t.Fatal("easytask did not log that it started within a minute")
		return ""
	}
}

// waitFor polls until done holds. The deadline only bounds a hung test; it
// is not what the test asserts.
func waitFor[T any](t *testing.T, what string, probe func() (T, error), done func(T) bool) T {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		value, err := probe()
		if err == nil && done(value) {
			return value
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; last value %v, error %v", what, value, err)
		}
		time.Sleep(25 * time.Millisecond)
	}
}
