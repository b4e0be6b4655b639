package easytask

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	easytaskv1 "github.com/easytask/easytask/clients/go/gen/easytask/v1"
)

// Handler runs one task callback. Return IsSuccess and Extra, or
// IsRunInAsync and call TaskServer.Confirm later. An error answers
// is_success false with the error's text as extra.
//
// ctx is canceled when the scheduler cuts the call (the callback timed out,
// the run was killed, its task stopped); CallbackInfoFrom(ctx) gives the
// callback's path, run id and trace id.
type Handler func(ctx context.Context, task *easytaskv1.TaskCallbackRequest) (*easytaskv1.TaskCallbackResponse, error)

// TaskServerConfig says how a TaskServer listens and registers.
type TaskServerConfig struct {
	// Name is the task server name that tasks give as srv_name. Required.
	Name string
	// Host to listen on; default "127.0.0.1".
	Host string
	// Port to listen on; 0 picks a free one.
	Port int
	// AdvertiseHost is the host registered for the scheduler to call;
	// default Host. Required when Host is 0.0.0.0 or ::.
	AdvertiseHost string
	// CallbackTimeoutSec is the HTTP timeout of callbacks; 0 means the
	// scheduler's default (30 s).
	CallbackTimeoutSec uint32
	// DisableHealthCheck registers the route without heartbeats.
	DisableHealthCheck bool
	// MaxBodyBytes bounds a callback body; default 1 MiB.
	MaxBodyBytes int64
	// Secret is the task server's signing secret (16 to 256 visible ASCII
	// characters). Start registers it with AddTaskServer, and every callback
	// and heartbeat must then be signed with it: others are answered HTTP
	// 401 and the handler does not run. Empty: callbacks are not checked.
	Secret string
	// SignatureTolerance is how far a signed callback's timestamp may be
	// from now; 0 means DefaultSignatureTolerance (300 s).
	SignatureTolerance time.Duration
}

// TaskServer serves the easytask callback protocol with one Handler. It is
// an http.Handler, so it can be mounted in a server of your own (register
// it yourself then), or run by Start and Stop, which also register and
// unregister it.
//
// A heartbeat is told from a task by the absence of task_id, not by cmd, so
// it works with either callback_cmd_numbering and with the Go original.
type TaskServer struct {
	client  *Client
	cfg     TaskServerConfig
	handler Handler

	mu     sync.Mutex
	server *http.Server
	port   int
}

// Answers are written as the scheduler's task servers always wrote them:
// proto field names, zero values included.
var wire = protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}

// NewTaskServer checks cfg and returns a TaskServer that is not running yet.
func NewTaskServer(client *Client, cfg TaskServerConfig, handler Handler) (*TaskServer, error) {
	if client == nil || handler == nil {
		return nil, errors.New("easytask: NewTaskServer needs a client and a handler")
	}
	if cfg.Name == "" {
		return nil, errors.New("easytask: TaskServerConfig.Name is required (the srv_name of its tasks)")
	}
	if cfg.Host == "" {
		cfg.Host = "127.0.0.1"
	}
	if cfg.AdvertiseHost == "" {
		cfg.AdvertiseHost = cfg.Host
	}
	if ip := net.ParseIP(cfg.AdvertiseHost); ip != nil && ip.IsUnspecified() {
		return nil, fmt.Errorf("easytask: listening on %s, the scheduler needs an address to call: set TaskServerConfig.AdvertiseHost", cfg.Host)
	}
	if cfg.Port < 0 || cfg.Port > 65535 {
		return nil, fmt.Errorf("easytask: TaskServerConfig.Port %d is not a port", cfg.Port)
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	return &TaskServer{client: client, cfg: cfg, handler: handler}, nil
}

// Start listens, serves in the background, and registers the route with
// AddTaskServer.
func (s *TaskServer) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.server != nil {
		return errors.New("easytask: TaskServer already started")
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port)))
	if err != nil {
		return fmt.Errorf("easytask: listening for task server %s: %w", s.cfg.Name, err)
	}
	server := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = server.Serve(ln) }()
	port := ln.Addr().(*net.TCPAddr).Port
	register := &easytaskv1.AddTaskServerRequest{
		Name:                s.cfg.Name,
		Schema:              "http",
		Host:                s.cfg.AdvertiseHost,
		Port:                uint32(port),
		CallbackTimeoutSec:  s.cfg.CallbackTimeoutSec,
		IsEnableHealthCheck: !s.cfg.DisableHealthCheck,
	}
	if s.cfg.Secret != "" {
		register.Secret = proto.String(s.cfg.Secret)
	}
	_, err = s.client.Registry.AddTaskServer(ctx, register)
	if err != nil {
		_ = server.Close()
		return fmt.Errorf("easytask: registering task server %s: %w", s.cfg.Name, err)
	}
	s.server, s.port = server, port
	return nil
}

// Port is the port Start listens on.
func (s *TaskServer) Port() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.port
}

// Stop unregisters the route with DelTaskServer, then shuts the server down,
// letting callbacks in flight finish while ctx allows.
func (s *TaskServer) Stop(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.server == nil {
		return nil
	}
	_, delErr := s.client.Registry.DelTaskServer(ctx, &easytaskv1.DelTaskServerRequest{
		Name: s.cfg.Name, Schema: "http", Host: s.cfg.AdvertiseHost, Port: uint32(s.port),
	})
	shutdownErr := s.server.Shutdown(ctx)
	s.server = nil
	return errors.Join(delErr, shutdownErr)
}

// Confirm reports the outcome of a run the handler answered with
// IsRunInAsync.
func (s *TaskServer) Confirm(ctx context.Context, task *easytaskv1.TaskCallbackRequest, isSuccess bool, extra string) error {
	_, err := s.client.Tasks.ConfirmTask(ctx, &easytaskv1.ConfirmTaskRequest{
		TaskId: task.GetTaskId(), TaskRunTimes: task.GetRunTimes(), IsSuccess: isSuccess, Extra: extra,
	})
	return err
}

// ServeHTTP answers heartbeats and runs the handler for task callbacks;
// with a Secret, only those signed with it.
func (s *TaskServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeError(w, http.StatusMethodNotAllowed, "easytask callbacks are POST requests")
		return
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body over %d bytes", s.cfg.MaxBodyBytes))
			return
		}
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if s.cfg.Secret != "" {
		if err := VerifySignature(s.cfg.Secret, r.Header, raw, s.cfg.SignatureTolerance); err != nil {
			writeError(w, http.StatusUnauthorized, err.Error())
			return
		}
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		writeError(w, http.StatusBadRequest, "body is not a JSON object")
		return
	}
	if _, isTask := fields["task_id"]; !isTask {
		writeMessage(w, &easytaskv1.HeartbeatResponse{Pong: true})
		return
	}
	task := &easytaskv1.TaskCallbackRequest{}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(raw, task); err != nil {
		writeError(w, http.StatusBadRequest, "body is not a task callback: "+err.Error())
		return
	}
	// r.Context() is canceled when the scheduler closes the connection: the
	// callback timed out, or the run was killed or its task stopped.
	result, err := s.handler(withCallbackInfo(r.Context(), r), task)
	if err != nil {
		result = &easytaskv1.TaskCallbackResponse{IsSuccess: false, Extra: err.Error()}
	} else if result == nil {
		result = &easytaskv1.TaskCallbackResponse{}
	}
	writeMessage(w, result)
}

func writeMessage(w http.ResponseWriter, m proto.Message) {
	body, err := wire.Marshal(m)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

func writeError(w http.ResponseWriter, status int, message string) {
	body, _ := json.Marshal(map[string]string{"error": message})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
