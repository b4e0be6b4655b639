package easytask_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/easytask/easytask/clients/go/easytask"
	easytaskv1 "github.com/easytask/easytask/clients/go/gen/easytask/v1"
)

const (
	secret      = "go-task-server-secret-0001"
	otherSecret = "some-other-secret-00000001"
)

func sign(key string, timestamp int64, body string) string {
	mac := hmac.New(sha256.New, []byte(key))
	fmt.Fprintf(mac, "%d.%s", timestamp, body)
	return "v1=" + hex.EncodeToString(mac.Sum(nil))
}

func signedHeaders(key string, timestamp int64, body string) map[string]string {
	return map[string]string{"X-Easytask-Timestamp": strconv.FormatInt(timestamp, 10), "X-Easytask-Signature": sign(key, timestamp, body)}
}

func with(headers map[string]string, name, value string) map[string]string {
	out := map[string]string{name: value}
	for k, v := range headers {
		if k != name {
			out[k] = v
		}
	}
	return out
}

func TestSignedCallbacks(t *testing.T) {
	client, err := easytask.NewClient(startEasytask(t))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var ran []*easytaskv1.TaskCallbackRequest
	ranFor := func(match func(*easytaskv1.TaskCallbackRequest) bool) int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, task := range ran {
			if match(task) {
				n++
			}
		}
		return n
	}
	srv, err := easytask.NewTaskServer(client, easytask.TaskServerConfig{Name: "go-signed", Secret: secret},
		func(_ context.Context, task *easytaskv1.TaskCallbackRequest) (*easytaskv1.TaskCallbackResponse, error) {
			mu.Lock()
			ran = append(ran, task)
			mu.Unlock()
			return &easytaskv1.TaskCallbackResponse{IsSuccess: true, Extra: "ran " + task.GetTaskName()}, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer srv.Stop(context.Background())

	t.Run("registers its secret and accepts the scheduler's signed heartbeats and callbacks", func(t *testing.T) {
		res, err := client.Registry.ListTaskServers(t.Context(), &easytaskv1.ListTaskServersRequest{})
		if err != nil {
			t.Fatal(err)
		}
		signed := false
		for _, s := range res.GetTaskServers() {
			signed = signed || (s.GetName() == "go-signed" && s.GetSigned())
		}
		if !signed {
			t.Fatalf("task servers %v: go-signed is not signed after Start with a Secret", res.GetTaskServers())
		}
		route := waitFor(t, "a heartbeat", func() (*easytaskv1.Route, error) { return findRoute(t.Context(), client, "go-signed") },
			func(r *easytaskv1.Route) bool { return r != nil && r.GetLastHeartbeatAt() != nil })
		if route.GetFailedHealthChecks() != 0 {
			t.Fatalf("route %v failed heartbeats", route)
		}
		taskID := addOneShot(t, client, "go-signed", "signed", "")
		if run := lastRun(t, client, taskID, easytaskv1.RunState_RUN_STATE_SUCCEEDED); run.GetExtra() != "ran signed" {
			t.Fatalf("run %v", run)
		}
		if n := ranFor(func(task *easytaskv1.TaskCallbackRequest) bool { return task.GetTaskId() == taskID }); n != 1 {
			t.Fatalf("the handler ran %d times for task %d, want 1", n, taskID)
		}
	})

	t.Run("forged, wrongly signed, stale and unsigned requests get 401 and do not run the handler", func(t *testing.T) {
		body := `{"cmd":1,"task_id":"424242","task_name":"forged","arg":"","run_times":1,"biz_id":""}`
		post := func(headers map[string]string) (int, string) {
			req, _ := http.NewRequest("POST", fmt.Sprintf("http://127.0.0.1:%d/forged", srv.Port()), strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			for k, v := range headers {
				req.Header.Set(k, v)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var answer struct{ Error string }
			_ = json.NewDecoder(res.Body).Decode(&answer)
			return res.StatusCode, answer.Error
		}
		now := time.Now().Unix()
		good := signedHeaders(secret, now, body)
		for _, c := range []struct {
			what    string
			headers map[string]string
			reason  string
		}{
			{"no headers", nil, `not signed: x-easytask-timestamp is missing`},
			{"no signature", map[string]string{"X-Easytask-Timestamp": strconv.FormatInt(now, 10)}, `not signed: x-easytask-signature is missing`},
			{"a forged signature", with(good, "X-Easytask-Signature", "v1="+strings.Repeat("0", 64)), `does not match`},
			{"a malformed signature", with(good, "X-Easytask-Signature", "sha256=abc"), `not "v1=" and 64 hex digits`},
			{"a malformed timestamp", with(good, "X-Easytask-Timestamp", "yesterday"), `not unix seconds`},
			{"another secret", signedHeaders(otherSecret, now, body), `does not match`},
			{"a stale timestamp", signedHeaders(secret, now-3600, body), `more than the tolerance of 300 s`},
			{"a timestamp in the future", signedHeaders(secret, now+3600, body), `more than the tolerance of 300 s`},
			{"a body altered after signing", with(good, "X-Easytask-Signature", sign(secret, now, strings.Replace(body, "forged", "forgex", 1))), `does not match`},
		} {
			status, reason := post(c.headers)
			if status != http.StatusUnauthorized || !strings.Contains(reason, c.reason) {
				t.Errorf("%s: %d %q, want 401 with %q", c.what, status, reason, c.reason)
			}
		}
		forged := func(task *easytaskv1.TaskCallbackRequest) bool { return task.GetTaskName() == "forged" }
		if n := ranFor(forged); n != 0 {
			t.Fatalf("the handler ran %d times for refused requests", n)
		}
		// The same request, signed right, runs: the refusals were the signature's.
		if status, reason := post(signedHeaders(secret, time.Now().Unix(), body)); status != http.StatusOK {
			t.Fatalf("a signed request: %d %q", status, reason)
		}
		if n := ranFor(forged); n != 1 {
			t.Fatalf("the handler ran %d times for the signed request, want 1", n)
		}
	})

	t.Run("the scheduler's callbacks signed with another secret, or unsigned, get 401 and do not run the handler", func(t *testing.T) {
		for _, c := range []struct{ secret, reason string }{{otherSecret, "does not match"}, {"", "not signed"}} {
			_, err := client.Registry.AddTaskServer(t.Context(), &easytaskv1.AddTaskServerRequest{
				Name: "go-signed", Schema: "http", Host: "127.0.0.1", Port: uint32(srv.Port()), Secret: proto.String(c.secret),
			})
			if err != nil {
				t.Fatal(err)
			}
			taskID := addOneShot(t, client, "go-signed", fmt.Sprintf("secret-%d", len(c.secret)), "")
			run := lastRun(t, client, taskID, easytaskv1.RunState_RUN_STATE_FAILED)
			if run.GetHttpStatus() != http.StatusUnauthorized || !strings.Contains(run.GetResponse(), c.reason) {
				t.Fatalf("secret %q: run %v, want HTTP 401 with %q", c.secret, run, c.reason)
			}
			if n := ranFor(func(task *easytaskv1.TaskCallbackRequest) bool { return task.GetTaskId() == taskID }); n != 0 {
				t.Fatalf("the handler ran for a refused callback of task %d", taskID)
			}
		}
	})
}

func TestVerifySignature(t *testing.T) {
	// The vector of test/unit/signCallback.test.ts (from openssl): a non-ASCII
	// body checked as its UTF-8 bytes.
	vector := http.Header{}
	vector.Set(easytask.TimestampHeader, "1700000000")
	vector.Set(easytask.SignatureHeader, "v1=c38d81efedf3dc62d620f156d1a1e268acf24d3ae83455385897016df3c22954")
	vectorBody := `{"cmd":1,"task_id":"7","task_name":"ünïcode ✓","arg":"","run_times":1,"biz_id":""}`
	sinceVector := time.Since(time.Unix(1700000000, 0)) + time.Hour
	if err := easytask.VerifySignature("test-secret-0123456789", vector, []byte(vectorBody), sinceVector); err != nil {
		t.Fatalf("the shared vector: %v", err)
	}

	body := `{"cmd":0}`
	at := time.Now().Add(-time.Minute).Unix()
	header := http.Header{}
	header.Set(easytask.TimestampHeader, strconv.FormatInt(at, 10))
	header.Set(easytask.SignatureHeader, sign(secret, at, body))
	if err := easytask.VerifySignature(secret, header, []byte(body), 0); err != nil {
		t.Fatalf("a minute old, default tolerance: %v", err)
	}
	err := easytask.VerifySignature(secret, header, []byte(body), 30*time.Second)
	if !errors.Is(err, easytask.ErrSignature) || !regexp.MustCompile(`the timestamp is \d+ s from now, more than the tolerance of 30 s`).MatchString(err.Error()) {
		t.Fatalf("a minute old, 30 s tolerance: %v", err)
	}
	if err := easytask.VerifySignature(otherSecret, header, []byte(body), 0); !errors.Is(err, easytask.ErrSignature) {
		t.Fatalf("another secret: %v", err)
	}
	header.Add(easytask.TimestampHeader, strconv.FormatInt(at, 10))
	if err := easytask.VerifySignature(secret, header, []byte(body), 0); err == nil || !strings.Contains(err.Error(), "more than one") {
		t.Fatalf("two timestamps: %v", err)
	}
}
