package easytask_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/easytask/easytask/clients/go/easytask"
	easytaskv1 "github.com/easytask/easytask/clients/go/gen/easytask/v1"
)

func findRoute(ctx context.Context, client *easytask.Client, name string) (*easytaskv1.Route, error) {
	res, err := client.Registry.ListTaskServers(ctx, &easytaskv1.ListTaskServersRequest{})
	if err != nil {
		return nil, err
	}
	for _, s := range res.GetTaskServers() {
		if s.GetName() == name && len(s.GetRoutes()) > 0 {
			return s.GetRoutes()[0], nil
		}
	}
	return nil, nil
}

func addOneShot(t *testing.T, client *easytask.Client, srvName, name, bizID string) int64 {
	t.Helper()
	res, err := client.Tasks.AddTask(t.Context(), &easytaskv1.AddTaskRequest{
		Name: name, SrvName: srvName, CallbackPath: "/" + name, SchedMode: easytaskv1.SchedMode_SCHED_MODE_AT,
		TimeSpecAt: time.Now().Unix(), Arg: `{"n":1}`, BizId: bizID,
	})
	if err != nil {
		t.Fatalf("AddTask %s: %v", name, err)
	}
	return res.GetTaskId()
}

func lastRun(t *testing.T, client *easytask.Client, taskID int64, state easytaskv1.RunState) *easytaskv1.TaskLog {
	t.Helper()
	return waitFor(t, fmt.Sprintf("run of task %d in %v", taskID, state), func() (*easytaskv1.TaskLog, error) {
		res, err := client.Tasks.ListTaskLogs(t.Context(), &easytaskv1.ListTaskLogsRequest{TaskId: taskID})
		if err != nil || len(res.GetTaskLogs()) == 0 {
			return nil, err
		}
		return res.GetTaskLogs()[0], nil
	}, func(run *easytaskv1.TaskLog) bool { return run.GetState() == state })
}

func TestTaskServer(t *testing.T) {
	for _, numbering := range []string{"documented", "easytask-go"} {
		t.Run(numbering, func(t *testing.T) {
			// The server requires the token, so every call the helper makes proves it is sent.
			client, err := easytask.NewClient(startEasytask(t, "EASYTASK_CALLBACK_CMD_NUMBERING="+numbering, "EASYTASK_AUTH__TOKENS="+testToken), easytask.WithToken(testToken))
			if err != nil {
				t.Fatal(err)
			}
			asyncTasks := make(chan *easytaskv1.TaskCallbackRequest, 1)
			srv, err := easytask.NewTaskServer(client, easytask.TaskServerConfig{Name: "go-worker"},
				func(_ context.Context, task *easytaskv1.TaskCallbackRequest) (*easytaskv1.TaskCallbackResponse, error) {
					switch task.GetTaskName() {
					case "async":
						asyncTasks <- task
						return &easytaskv1.TaskCallbackResponse{IsRunInAsync: true}, nil
					case "failing":
						return nil, errors.New("cannot run failing")
					}
					extra := fmt.Sprintf("ran %s #%d with %s for %s", task.GetTaskName(), task.GetRunTimes(), task.GetArg(), task.GetBizId())
					return &easytaskv1.TaskCallbackResponse{IsSuccess: true, Extra: extra}, nil
				})
			if err != nil {
				t.Fatal(err)
			}
			if err := srv.Start(t.Context()); err != nil {
				t.Fatal(err)
			}

			// A route that fails heartbeats counts up failed_health_checks and
			// is evicted; one that answers them has last_heartbeat_at set.
			route := waitFor(t, "a heartbeat", func() (*easytaskv1.Route, error) { return findRoute(t.Context(), client, "go-worker") },
				func(r *easytaskv1.Route) bool { return r != nil && r.GetLastHeartbeatAt() != nil })
			if int(route.GetPort()) != srv.Port() || !route.GetIsEnableHealthCheck() || route.GetFailedHealthChecks() != 0 {
				t.Fatalf("route %v, want port %d, health-checked and healthy", route, srv.Port())
			}

			run := lastRun(t, client, addOneShot(t, client, "go-worker", "sync", "b1"), easytaskv1.RunState_RUN_STATE_SUCCEEDED)
			if want := `ran sync #1 with {"n":1} for b1`; run.GetExtra() != want || !run.GetIsSuccess() {
				t.Fatalf("run %v, want success with extra %q", run, want)
			}

			run = lastRun(t, client, addOneShot(t, client, "go-worker", "failing", ""), easytaskv1.RunState_RUN_STATE_FAILED)
			if run.GetExtra() != "cannot run failing" {
				t.Fatalf("failed run extra %q, want the handler's error", run.GetExtra())
			}

			asyncID := addOneShot(t, client, "go-worker", "async", "")
			lastRun(t, client, asyncID, easytaskv1.RunState_RUN_STATE_ASYNC_WAITING)
			task := <-asyncTasks
			if task.GetTaskId() != asyncID || task.GetRunTimes() != 1 {
				t.Fatalf("async callback %v, want task %d run 1", task, asyncID)
			}
			if err := srv.Confirm(t.Context(), task, true, "confirmed later"); err != nil {
				t.Fatal(err)
			}
			run = lastRun(t, client, asyncID, easytaskv1.RunState_RUN_STATE_SUCCEEDED)
			if run.GetExtra() != "confirmed later" || run.GetConfirmedAt() == nil {
				t.Fatalf("confirmed run %v", run)
			}

			if err := srv.Stop(t.Context()); err != nil {
				t.Fatal(err)
			}
			if r, err := findRoute(t.Context(), client, "go-worker"); err != nil || r != nil {
				t.Fatalf("after Stop: route %v, error %v; want it unregistered", r, err)
			}
		})
	}
}

const testToken = "sdk-test-token-0123456789"

func TestToken(t *testing.T) {
	url := startEasytask(t, "EASYTASK_AUTH__TOKENS="+testToken)

	t.Run("sends the token as a bearer authorization header", func(t *testing.T) {
		var seen []string
		observe := connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
			return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
				seen = append(seen, req.Header().Get("Authorization"))
				return next(ctx, req)
			}
		})
		client, err := easytask.NewClient(url, easytask.WithToken(testToken), easytask.WithClientOptions(connect.WithInterceptors(observe)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := client.Registry.ListTaskServers(t.Context(), &easytaskv1.ListTaskServersRequest{}); err != nil {
			t.Fatal(err)
		}
		if len(seen) != 1 || seen[0] != "Bearer "+testToken {
			t.Fatalf("Authorization headers sent: %q", seen)
		}
	})

	t.Run("without the right token calls are unauthenticated", func(t *testing.T) {
		for _, opts := range [][]easytask.Option{nil, {easytask.WithToken("wrong-token-0123456789")}} {
			stranger, err := easytask.NewClient(url, opts...)
			if err != nil {
				t.Fatal(err)
			}
			_, err = stranger.Cluster.GetCluster(t.Context(), &easytaskv1.GetClusterRequest{})
			if connect.CodeOf(err) != connect.CodeUnauthenticated {
				t.Fatalf("got %v, want unauthenticated", err)
			}
		}
	})
}

func TestClient(t *testing.T) {
	url := startEasytask(t)

	t.Run("reads the cluster", func(t *testing.T) {
		client, err := easytask.NewClient(url)
		if err != nil {
			t.Fatal(err)
		}
		cluster, err := client.Cluster.GetCluster(t.Context(), &easytaskv1.GetClusterRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if !cluster.GetIsLeader() || cluster.GetNodeId() == "" || cluster.GetLeaderId() != cluster.GetNodeId() {
			t.Fatalf("a standalone node leads itself, got %v", cluster)
		}
	})

	t.Run("speaks gRPC over h2c", func(t *testing.T) {
		var protocols http.Protocols
		protocols.SetUnencryptedHTTP2(true)
		h2c := &http.Client{Transport: &http.Transport{Protocols: &protocols}}
		client, err := easytask.NewClient(url, easytask.WithHTTPClient(h2c), easytask.WithClientOptions(connect.WithGRPC()))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := client.Registry.AddTaskServer(t.Context(), &easytaskv1.AddTaskServerRequest{Name: "grpc", Schema: "http", Host: "127.0.0.1", Port: 9}); err != nil {
			t.Fatal(err)
		}
		if r, err := findRoute(t.Context(), client, "grpc"); err != nil || r.GetPort() != 9 {
			t.Fatalf("route %v, error %v", r, err)
		}
	})

	t.Run("refusals are Connect errors with their code", func(t *testing.T) {
		client, err := easytask.NewClient(url)
		if err != nil {
			t.Fatal(err)
		}
		_, err = client.Tasks.AddTask(t.Context(), &easytaskv1.AddTaskRequest{Name: "x", SrvName: "nobody", SchedMode: easytaskv1.SchedMode_SCHED_MODE_INTERVAL, TimeIntervalSec: 10})
		if connect.CodeOf(err) != connect.CodeNotFound || !strings.Contains(err.Error(), "task server nobody not found") {
			t.Fatalf("AddTask for an unknown task server: %v", err)
		}
	})
}

func TestBadSettings(t *testing.T) {
	for _, url := range []string{"127.0.0.1:8801", "ftp://127.0.0.1", "http://"} {
		if _, err := easytask.NewClient(url); err == nil || !strings.Contains(err.Error(), "must be http:// or https://") {
			t.Errorf("NewClient(%q) error %v", url, err)
		}
	}
	client, _ := easytask.NewClient("http://127.0.0.1:1")
	handler := func(context.Context, *easytaskv1.TaskCallbackRequest) (*easytaskv1.TaskCallbackResponse, error) {
		return nil, nil
	}
	for _, c := range []struct {
		cfg  easytask.TaskServerConfig
		want string
	}{
		{easytask.TaskServerConfig{}, "Name is required"},
		{easytask.TaskServerConfig{Name: "x", Host: "0.0.0.0"}, "set TaskServerConfig.AdvertiseHost"},
		{easytask.TaskServerConfig{Name: "x", Port: 70000}, "is not a port"},
	} {
		if _, err := easytask.NewTaskServer(client, c.cfg, handler); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewTaskServer(%+v) error %v, want %q", c.cfg, err, c.want)
		}
	}
}

// The protocol edge cases, straight at the handler on a real listener.
func TestServeHTTP(t *testing.T) {
	client, _ := easytask.NewClient("http://127.0.0.1:1")
	srv, err := easytask.NewTaskServer(client, easytask.TaskServerConfig{Name: "x", MaxBodyBytes: 64},
		func(context.Context, *easytaskv1.TaskCallbackRequest) (*easytaskv1.TaskCallbackResponse, error) {
			return nil, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	for _, c := range []struct {
		method, body string
		status       int
		answer       string
	}{
		{"POST", `{"cmd":0}`, 200, `{"pong":true}`},
		{"POST", `{"cmd":1}`, 200, `{"pong":true}`},
		{"POST", `{"cmd":0,"task_id":"7","run_times":2,"future_field":1}`, 200, `{"is_run_in_async":false,"is_success":false,"extra":""}`},
		{"POST", `not json`, 400, `{"error":"body is not a JSON object"}`},
		{"POST", `{"task_id":"seven"}`, 400, `body is not a task callback`},
		{"POST", `{"arg":"` + strings.Repeat("x", 100) + `"}`, 413, `body over 64 bytes`},
		{"GET", ``, 405, `POST`},
	} {
		req, _ := http.NewRequest(c.method, ts.URL+"/job", strings.NewReader(c.body))
		res, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		// protojson varies its spacing on purpose.
		var answer bytes.Buffer
		if err := json.Compact(&answer, raw); err != nil {
			t.Fatalf("%s %s: answer %q is not JSON", c.method, c.body, raw)
		}
		if res.StatusCode != c.status || !strings.Contains(answer.String(), c.answer) {
			t.Errorf("%s %s: %d %s, want %d with %s", c.method, c.body, res.StatusCode, answer.String(), c.status, c.answer)
		}
	}
}
