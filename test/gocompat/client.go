// Package gocompat is a program written against the Go easytask server, as
// its users wrote them: the original's request and answer structs with their
// JSON tags, and its HTTP client. It runs unchanged against this project.
//
// Decoding is strict (DisallowUnknownFields) where the original's client
// used plain json.Unmarshal, so a field this project adds or renames shows up
// here before it can surprise a user whose structs are stricter still.
package gocompat

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

type SchedMode int

const (
	SchedModeCron SchedMode = iota + 1
	SchedModeTimeSpec
	SchedModeTimeInterval
)

type ErrCode int

const (
	ErrCodeArgsInvalid     ErrCode = 10001
	ErrCodeTaskNotFound    ErrCode = 10002
	ErrCodeTaskSrvNotFound ErrCode = 10003
)

// BizErr is what the original's client returns for any answer with code > 0.
type BizErr struct {
	Code ErrCode
	Msg  string
}

func (e *BizErr) Error() string { return fmt.Sprintf("easytask error %d: %s", e.Code, e.Msg) }

type FinalStdoutResp struct {
	Code ErrCode `json:"code"`
	Msg  string  `json:"msg"`
	Data any     `json:"data"`
	Hint string  `json:"hint"`
}

type AddTaskReq struct {
	Name            string    `json:"name"`
	SrvName         string    `json:"srv_name"`
	CallbackPath    string    `json:"callback_path"`
	SchedMode       SchedMode `json:"sched_mode"`
	TimeCron        string    `json:"time_cron"`
	TimeIntervalSec int       `json:"time_interval_sec"`
	TimeSpecAt      int64     `json:"time_spec_at"`
	Arg             string    `json:"arg"`
	BizId           string    `json:"biz_id"`
}

type AddTaskResp struct {
	TaskId string `json:"task_id"`
}

type StopTaskReq struct {
	TaskId string `json:"task_id"`
}

type StopTaskResp struct{}

type ConfirmTaskReq struct {
	TaskId       string `json:"task_id"`
	IsSuccess    bool   `json:"is_success"`
	Extra        string `json:"extra"`
	TaskRunTimes int    `json:"task_run_times"`
}

type ConfirmTaskResp struct{}

type RegisterTaskCallbackSrvReq struct {
	Name                string `json:"name"`
	Schema              string `json:"schema"`
	Host                string `json:"host"`
	Port                int    `json:"port"`
	CallbackTimeoutSec  int    `json:"callback_timeout_sec"`
	IsEnableHealthCheck bool   `json:"is_enable_health_check"`
}

type RegisterTaskCallbackSrvResp struct{}

type UnregisterTaskCallbackSrvReq struct {
	Name   string `json:"name"`
	Schema string `json:"schema"`
	Host   string `json:"host"`
	Port   int    `json:"port"`
}

type UnregisterTaskCallbackSrvResp struct{}

// What the scheduler sends a task server, and what the task server answers.
type TaskCallbackReq struct {
	Cmd      int    `json:"cmd"`
	TaskId   string `json:"task_id"`
	TaskName string `json:"task_name"`
	Arg      string `json:"arg"`
	RunTimes int    `json:"run_times"`
	BizId    string `json:"biz_id"`
}

type TaskCallbackResp struct {
	IsRunInAsync bool   `json:"is_run_in_async"`
	IsSuccess    bool   `json:"is_success"`
	Extra        string `json:"extra"`
}

type HeartBeatReq struct {
	Cmd int `json:"cmd"`
}

type HeartBeatResp struct {
	Pong bool `json:"pong"`
}

type HttpCli struct {
	apiSrvAddr string
	http       http.Client
}

func NewHttpCli(apiSrvAddr string) *HttpCli {
	return &HttpCli{apiSrvAddr: strings.TrimRight(apiSrvAddr, "/"), http: http.Client{Timeout: 10 * time.Second}}
}

func (c *HttpCli) AddTask(ctx context.Context, req *AddTaskReq) (*AddTaskResp, error) {
	var resp AddTaskResp
	return &resp, c.post(ctx, "/add_task", req, &resp)
}

func (c *HttpCli) StopTask(ctx context.Context, req *StopTaskReq) (*StopTaskResp, error) {
	var resp StopTaskResp
	return &resp, c.post(ctx, "/stop_task", req, &resp)
}

func (c *HttpCli) ConfirmTask(ctx context.Context, req *ConfirmTaskReq) (*ConfirmTaskResp, error) {
	var resp ConfirmTaskResp
	return &resp, c.post(ctx, "/confirm_task", req, &resp)
}

func (c *HttpCli) RegisterTaskCallbackSrv(ctx context.Context, req *RegisterTaskCallbackSrvReq) (*RegisterTaskCallbackSrvResp, error) {
	var resp RegisterTaskCallbackSrvResp
	return &resp, c.post(ctx, "/add_task_server", req, &resp)
}

func (c *HttpCli) UnregisterTaskCallbackSrv(ctx context.Context, req *UnregisterTaskCallbackSrvReq) (*UnregisterTaskCallbackSrvResp, error) {
	var resp UnregisterTaskCallbackSrvResp
	return &resp, c.post(ctx, "/del_task_server", req, &resp)
}

func (c *HttpCli) post(ctx context.Context, path string, req, resp any) error {
	body, err := json.Marshal(req)
	if err != nil {
		return err
	}
	httpReq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.apiSrvAddr+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	httpReq.Header.Set("x-easy-task-trace-id", "gocompat-trace-id-0001")
	httpResp, err := c.http.Do(httpReq)
	if err != nil {
		return err
	}
	defer httpResp.Body.Close()
	raw, err := io.ReadAll(httpResp.Body)
	if err != nil {
		return err
	}
	if httpResp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered HTTP %d: %s", path, httpResp.StatusCode, raw)
	}
	envelope := FinalStdoutResp{Data: resp}
	if err := DecodeStrict(raw, &envelope); err != nil {
		return fmt.Errorf("%s answered %s: %w", path, raw, err)
	}
	if envelope.Code > 0 {
		return &BizErr{Code: envelope.Code, Msg: envelope.Msg}
	}
	return nil
}

// DecodeStrict refuses unknown fields and trailing data.
func DecodeStrict(raw []byte, into any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data after the JSON value")
	}
	return nil
}
