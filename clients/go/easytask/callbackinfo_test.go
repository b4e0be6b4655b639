package easytask_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/easytask/easytask/clients/go/easytask"
	easytaskv1 "github.com/easytask/easytask/clients/go/gen/easytask/v1"
)

// The trace id comes from a valid W3C traceparent, else from
// x-easy-task-trace-id: real requests to the helper on a real listener.
func TestCallbackInfoFromHeaders(t *testing.T) {
	client, _ := easytask.NewClient("http://127.0.0.1:1")
	seen := make(chan easytask.CallbackInfo, 1)
	srv, err := easytask.NewTaskServer(client, easytask.TaskServerConfig{Name: "x"},
		func(ctx context.Context, _ *easytaskv1.TaskCallbackRequest) (*easytaskv1.TaskCallbackResponse, error) {
			seen <- easytask.CallbackInfoFrom(ctx)
			return &easytaskv1.TaskCallbackResponse{IsSuccess: true}, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	const w3c = "4bf92f3577b34da6a3ce929d0e0e4736"
	for _, c := range []struct {
		what, traceparent, want string
	}{
		{"a valid traceparent wins", "00-" + w3c + "-00f067aa0ba902b7-01", w3c},
		{"no traceparent", "", "legacy-trace-1"},
		{"upper case hex", "00-" + strings.ToUpper(w3c) + "-00f067aa0ba902b7-01", "legacy-trace-1"},
		{"an all-zero trace id", "00-00000000000000000000000000000000-00f067aa0ba902b7-01", "legacy-trace-1"},
		{"an all-zero span id", "00-" + w3c + "-0000000000000000-01", "legacy-trace-1"},
		{"version ff", "ff-" + w3c + "-00f067aa0ba902b7-01", "legacy-trace-1"},
		{"version 00 with more fields", "00-" + w3c + "-00f067aa0ba902b7-01-more", "legacy-trace-1"},
		{"a later version with more fields", "01-" + w3c + "-00f067aa0ba902b7-01-more", w3c},
	} {
		req, _ := http.NewRequest("POST", ts.URL+"/reports/daily", strings.NewReader(`{"cmd":1,"task_id":"7","run_times":2}`))
		req.Header.Set("X-Easy-Task-Trace-Id", "legacy-trace-1")
		req.Header.Set("X-Easytask-Run-Id", "7:2:1")
		if c.traceparent != "" {
			req.Header.Set("Traceparent", c.traceparent)
		}
		res, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		info := <-seen
		want := easytask.CallbackInfo{Path: "/reports/daily", RunID: "7:2:1", TraceID: c.want}
		if info != want {
			t.Errorf("%s: %+v, want %+v", c.what, info, want)
		}
	}
	if info := easytask.CallbackInfoFrom(context.Background()); info != (easytask.CallbackInfo{}) {
		t.Errorf("a context of no callback gives %+v", info)
	}
}

// A run killed through the API cuts the call: the handler's ctx is canceled.
// Its info names the run and the trace.
func TestKilledRunCancelsTheHandler(t *testing.T) {
	client, err := easytask.NewClient(startEasytask(t))
	if err != nil {
		t.Fatal(err)
	}
	type call struct {
		info easytask.CallbackInfo
		err  error
	}
	started := make(chan easytask.CallbackInfo, 1)
	ended := make(chan call, 1)
	srv, err := easytask.NewTaskServer(client, easytask.TaskServerConfig{Name: "go-killed"},
		func(ctx context.Context, _ *easytaskv1.TaskCallbackRequest) (*easytaskv1.TaskCallbackResponse, error) {
			started <- easytask.CallbackInfoFrom(ctx)
			select {
			case <-ctx.Done():
				ended <- call{easytask.CallbackInfoFrom(ctx), ctx.Err()}
				return nil, ctx.Err()
			case <-time.After(time.Minute): // bounds a hung test only
				ended <- call{}
				return &easytaskv1.TaskCallbackResponse{IsSuccess: true}, nil
			}
		})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer srv.Stop(context.Background())
	taskID := addOneShot(t, client, "go-killed", "long", "")
	info := <-started
	if want := fmt.Sprintf("%d:1:1", taskID); info.RunID != want || info.Path != "/long" || info.TraceID == "" {
		t.Fatalf("callback info %+v, want run id %s, path /long and a trace id", info, want)
	}
	if _, err := client.Tasks.KillRun(t.Context(), &easytaskv1.KillRunRequest{TaskId: taskID, RunTimes: 1}); err != nil {
		t.Fatal(err)
	}
	got := <-ended
	if !errors.Is(got.err, context.Canceled) || got.info != info {
		t.Fatalf("after KillRun the handler saw %+v, want context.Canceled and the same info", got)
	}
	lastRun(t, client, taskID, easytaskv1.RunState_RUN_STATE_KILLED)
}

// A refusal carries an easytaskv1.ErrorDetail, read with connect's Value().
func TestErrorDetail(t *testing.T) {
	client, err := easytask.NewClient(startEasytask(t))
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.Tasks.AddTask(t.Context(), &easytaskv1.AddTaskRequest{Name: "x", SrvName: "nobody", SchedMode: easytaskv1.SchedMode_SCHED_MODE_INTERVAL, TimeIntervalSec: 10})
	var connectErr *connect.Error
	if !errors.As(err, &connectErr) || connectErr.Code() != connect.CodeNotFound {
		t.Fatalf("AddTask for an unknown task server: %v", err)
	}
	var found []*easytaskv1.ErrorDetail
	for _, d := range connectErr.Details() {
		if value, err := d.Value(); err == nil {
			if detail, ok := value.(*easytaskv1.ErrorDetail); ok {
				found = append(found, detail)
			}
		}
	}
	if len(found) != 1 || found[0].GetReason() != easytaskv1.ErrorReason_ERROR_REASON_TASK_SERVER_NOT_FOUND || found[0].GetField() != "srv_name" {
		t.Fatalf("details %v, want one ErrorDetail: task server not found, field srv_name", found)
	}
}

// Start says what failed: registering (with the Connect error inside), or listening.
func TestStartErrors(t *testing.T) {
	url := startEasytask(t, "EASYTASK_AUTH__TOKENS="+testToken)
	handler := func(context.Context, *easytaskv1.TaskCallbackRequest) (*easytaskv1.TaskCallbackResponse, error) {
		return nil, nil
	}
	stranger, _ := easytask.NewClient(url, easytask.WithToken("wrong-token-0123456789"))
	srv, _ := easytask.NewTaskServer(stranger, easytask.TaskServerConfig{Name: "go-refused"}, handler)
	err := srv.Start(t.Context())
	if err == nil || !strings.HasPrefix(err.Error(), "easytask: registering task server go-refused: unauthenticated: ") || connect.CodeOf(err) != connect.CodeUnauthenticated {
		t.Fatalf("Start with a wrong token: %v", err)
	}
	// Nothing is left listening after a failed Start.
	if err := srv.Stop(t.Context()); err != nil {
		t.Fatalf("Stop after a failed Start: %v", err)
	}

	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	client, _ := easytask.NewClient(url, easytask.WithToken(testToken))
	port := busy.Addr().(*net.TCPAddr).Port
	srv, _ = easytask.NewTaskServer(client, easytask.TaskServerConfig{Name: "go-busy", Port: port}, handler)
	err = srv.Start(t.Context())
	if err == nil || !strings.HasPrefix(err.Error(), "easytask: listening for task server go-busy: listen tcp 127.0.0.1:"+strconv.Itoa(port)) || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("Start on a busy port: %v", err)
	}
}
