package gocompat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// A task server as the original's users write one: the root path answers
// heartbeats, every task has a path of its own.
type taskServer struct {
	port         int
	heartbeatCmd int
	taskCmd      int

	mu         sync.Mutex
	calls      []TaskCallbackReq
	paths      []string
	heartbeats int
	problems   []string
}

func (s *taskServer) problem(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.problems = append(s.problems, fmt.Sprintf(format, args...))
}

func (s *taskServer) heartbeat(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var req HeartBeatReq
	if err := DecodeStrict(raw, &req); err != nil {
		s.problem("%s: heartbeat %s does not decode: %v", r.URL.Path, raw, err)
	} else if r.URL.Path != "/" || req.Cmd != s.heartbeatCmd {
		s.problem("%s: expected a heartbeat {\"cmd\":%d} on /, got %s", r.URL.Path, s.heartbeatCmd, raw)
	}
	s.mu.Lock()
	s.heartbeats++
	s.mu.Unlock()
	_ = json.NewEncoder(w).Encode(HeartBeatResp{Pong: true})
}

func (s *taskServer) task(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var req TaskCallbackReq
	if err := DecodeStrict(raw, &req); err != nil {
		s.problem("%s: task callback %s does not decode: %v", r.URL.Path, raw, err)
	} else if req.Cmd != s.taskCmd {
		s.problem("%s: expected task callbacks with cmd %d, got %s", r.URL.Path, s.taskCmd, raw)
	}
	s.mu.Lock()
	s.calls = append(s.calls, req)
	s.paths = append(s.paths, r.URL.Path)
	s.mu.Unlock()
	resp := TaskCallbackResp{IsSuccess: true, Extra: "done by " + r.URL.Path}
	if r.URL.Path == "/tasks/async" {
		resp = TaskCallbackResp{IsRunInAsync: true}
	}
	_ = json.NewEncoder(w).Encode(resp)
}

func startTaskServer(t *testing.T, heartbeatCmd, taskCmd int) *taskServer {
	s := &taskServer{heartbeatCmd: heartbeatCmd, taskCmd: taskCmd}
	mux := http.NewServeMux()
	mux.HandleFunc("/", s.heartbeat)
	mux.HandleFunc("/tasks/", s.task)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mux}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	s.port = ln.Addr().(*net.TCPAddr).Port
	return s
}

// Polls for a callback on path that satisfies ok; the deadline only bounds a
// hung test.
func (s *taskServer) waitCall(t *testing.T, path string, ok func(TaskCallbackReq) bool) TaskCallbackReq {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		s.mu.Lock()
		for i, c := range s.calls {
			if s.paths[i] == path && ok(c) {
				s.mu.Unlock()
				return c
			}
		}
		s.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("no callback on %s as expected; calls so far: %+v", path, s.callsOn(path))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *taskServer) callsOn(path string) []TaskCallbackReq {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []TaskCallbackReq
	for i, c := range s.calls {
		if s.paths[i] == path {
			out = append(out, c)
		}
	}
	return out
}

// Connect JSON (proto field names), for what the original's API had no way to read.
func connectCall(t *testing.T, base, method string, req, resp any) {
	t.Helper()
	body, _ := json.Marshal(req)
	httpResp, err := http.Post(base+"/easytask.v1.TaskService/"+method, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer httpResp.Body.Close()
	raw, _ := io.ReadAll(httpResp.Body)
	if httpResp.StatusCode != http.StatusOK {
		t.Fatalf("%s answered HTTP %d: %s", method, httpResp.StatusCode, raw)
	}
	if err := json.Unmarshal(raw, resp); err != nil {
		t.Fatalf("%s answered %s: %v", method, raw, err)
	}
}

type taskLog struct {
	RunTimes    int    `json:"run_times"`
	State       string `json:"state"`
	IsSuccess   bool   `json:"is_success"`
	Extra       string `json:"extra"`
	ConfirmedAt string `json:"confirmed_at"`
}

type task struct {
	RunTimes int    `json:"run_times"`
	State    string `json:"state"`
}

func expectBizErr(t *testing.T, err error, code ErrCode, field string) {
	t.Helper()
	var biz *BizErr
	if !errors.As(err, &biz) {
		t.Fatalf("expected a BizErr with code %d, got %v", code, err)
	}
	if biz.Code != code || !strings.Contains(biz.Msg, field) {
		t.Fatalf("expected code %d naming %q, got code %d %q", code, field, biz.Code, biz.Msg)
	}
}

var digits = regexp.MustCompile(`^[0-9]+$`)

func TestDropIn(t *testing.T) {
	base := os.Getenv("EASYTASK_URL")
	if base == "" {
		t.Fatal("set EASYTASK_URL to an easytask server, and EASYTASK_NUMBERING to its callback_cmd_numbering")
	}
	heartbeatCmd, taskCmd := 0, 1
	switch os.Getenv("EASYTASK_NUMBERING") {
	case "easytask-go":
		heartbeatCmd, taskCmd = 1, 0
	case "documented":
	default:
		t.Fatalf("EASYTASK_NUMBERING must be documented or easytask-go")
	}
	ts := startTaskServer(t, heartbeatCmd, taskCmd)
	cli := NewHttpCli(base)
	ctx := context.Background()
	route := RegisterTaskCallbackSrvReq{Name: "go-users", Schema: "http", Host: "127.0.0.1", Port: ts.port, CallbackTimeoutSec: 5, IsEnableHealthCheck: true}

	if _, err := cli.RegisterTaskCallbackSrv(ctx, &route); err != nil {
		t.Fatal(err)
	}
	addTask := func(req AddTaskReq) string {
		t.Helper()
		req.SrvName = "go-users"
		resp, err := cli.AddTask(ctx, &req)
		if err != nil {
			t.Fatal(err)
		}
		if !digits.MatchString(resp.TaskId) {
			t.Fatalf("task_id %q is not a decimal string", resp.TaskId)
		}
		return resp.TaskId
	}
	stopTask := func(taskId string) {
		t.Helper()
		if _, err := cli.StopTask(ctx, &StopTaskReq{TaskId: taskId}); err != nil {
			t.Fatal(err)
		}
	}

	// Interval, then an upsert by name + biz_id: same task_id, new arg from the next run.
	report := AddTaskReq{Name: "report", CallbackPath: "/tasks/report", SchedMode: SchedModeTimeInterval, TimeIntervalSec: 1, Arg: "v1", BizId: "team-7"}
	reportId := addTask(report)
	first := ts.waitCall(t, "/tasks/report", func(c TaskCallbackReq) bool { return c.RunTimes == 1 })
	if want := (TaskCallbackReq{Cmd: taskCmd, TaskId: reportId, TaskName: "report", Arg: "v1", RunTimes: 1, BizId: "team-7"}); first != want {
		t.Fatalf("first callback %+v, want %+v", first, want)
	}
	report.Arg = "v2"
	if again := addTask(report); again != reportId {
		t.Fatalf("upsert by name + biz_id gave task_id %s, want %s", again, reportId)
	}
	updated := ts.waitCall(t, "/tasks/report", func(c TaskCallbackReq) bool { return c.Arg == "v2" })
	if updated.TaskId != reportId || updated.RunTimes < 2 {
		t.Fatalf("callback after the upsert: %+v", updated)
	}

	// One-shot, one second from now.
	onceId := addTask(AddTaskReq{Name: "once", CallbackPath: "/tasks/once", SchedMode: SchedModeTimeSpec, TimeSpecAt: time.Now().Unix() + 1, BizId: "o1"})
	ts.waitCall(t, "/tasks/once", func(c TaskCallbackReq) bool { return c.TaskId == onceId && c.RunTimes == 1 })

	// Cron with seconds ... year: the one form that means the same in the original and here.
	cronId := addTask(AddTaskReq{Name: "cron", CallbackPath: "/tasks/cron", SchedMode: SchedModeCron, TimeCron: "* * * * * * *"})
	ts.waitCall(t, "/tasks/cron", func(c TaskCallbackReq) bool { return c.TaskId == cronId && c.RunTimes == 2 })

	// An async run, confirmed later, ends up recorded with the confirmation.
	asyncId := addTask(AddTaskReq{Name: "async", CallbackPath: "/tasks/async", SchedMode: SchedModeTimeSpec, TimeSpecAt: time.Now().Unix()})
	ts.waitCall(t, "/tasks/async", func(c TaskCallbackReq) bool { return c.TaskId == asyncId })
	if _, err := cli.ConfirmTask(ctx, &ConfirmTaskReq{TaskId: asyncId, TaskRunTimes: 1, IsSuccess: true, Extra: "confirmed by a Go program"}); err != nil {
		t.Fatal(err)
	}
	var logs struct {
		TaskLogs []taskLog `json:"task_logs"`
	}
	connectCall(t, base, "ListTaskLogs", map[string]string{"task_id": asyncId}, &logs)
	var confirmed *taskLog
	for i := range logs.TaskLogs {
		if logs.TaskLogs[i].RunTimes == 1 {
			confirmed = &logs.TaskLogs[i]
		}
	}
	if confirmed == nil || confirmed.State != "RUN_STATE_SUCCEEDED" || !confirmed.IsSuccess || confirmed.Extra != "confirmed by a Go program" || confirmed.ConfirmedAt == "" {
		t.Fatalf("run 1 of the async task in task_log: %+v (all: %+v)", confirmed, logs.TaskLogs)
	}

	// Stopped: the task's run count stays where it was.
	stopTask(reportId)
	var got struct {
		Task task `json:"task"`
	}
	connectCall(t, base, "GetTask", map[string]string{"task_id": reportId}, &got)
	if got.Task.State != "TASK_STATE_STOPPED" {
		t.Fatalf("stopped task: %+v", got.Task)
	}
	stopTask(cronId)
	time.Sleep(2500 * time.Millisecond)
	for _, c := range ts.callsOn("/tasks/report") {
		if c.RunTimes > got.Task.RunTimes {
			t.Fatalf("run %d of a task stopped after run %d", c.RunTimes, got.Task.RunTimes)
		}
	}

	// Refusals, as the original's client reports them.
	_, err := cli.AddTask(ctx, &AddTaskReq{SrvName: "go-users", SchedMode: SchedModeTimeInterval, TimeIntervalSec: 1})
	expectBizErr(t, err, ErrCodeArgsInvalid, "name")
	_, err = cli.AddTask(ctx, &AddTaskReq{Name: "x", SrvName: "go-users", SchedMode: SchedModeTimeInterval})
	expectBizErr(t, err, ErrCodeArgsInvalid, "time_interval_sec")
	_, err = cli.StopTask(ctx, &StopTaskReq{})
	expectBizErr(t, err, ErrCodeArgsInvalid, "task_id")
	_, err = cli.ConfirmTask(ctx, &ConfirmTaskReq{TaskId: asyncId, IsSuccess: true})
	expectBizErr(t, err, ErrCodeArgsInvalid, "task_run_times")
	_, err = cli.AddTask(ctx, &AddTaskReq{Name: "x", SrvName: "nobody", SchedMode: SchedModeTimeInterval, TimeIntervalSec: 1})
	expectBizErr(t, err, ErrCodeTaskSrvNotFound, "nobody")

	// Unregistered: the route is gone, so unregistering it again is a task server not found.
	ts.mu.Lock()
	heartbeats := ts.heartbeats
	ts.mu.Unlock()
	if heartbeats == 0 {
		t.Fatal("no heartbeat reached the task server")
	}
	unregister := UnregisterTaskCallbackSrvReq{Name: route.Name, Schema: route.Schema, Host: route.Host, Port: route.Port}
	if _, err := cli.UnregisterTaskCallbackSrv(ctx, &unregister); err != nil {
		t.Fatal(err)
	}
	_, err = cli.UnregisterTaskCallbackSrv(ctx, &unregister)
	expectBizErr(t, err, ErrCodeTaskSrvNotFound, "go-users")

	ts.mu.Lock()
	defer ts.mu.Unlock()
	for _, p := range ts.problems {
		t.Error(p)
	}
}
