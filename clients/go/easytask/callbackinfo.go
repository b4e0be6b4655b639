package easytask

import (
	"context"
	"net/http"
	"regexp"
)

// CallbackInfo is what a handler knows about the callback it runs for,
// beside the task: from the request's path and headers.
type CallbackInfo struct {
	// Path is the request's path: the task's callback_path.
	Path string
	// RunID is "<task_id>:<run_times>:<attempt>" (the x-easytask-run-id
	// header): the same for a run's callback sent again, so a task server
	// can tell a retry it already ran. Empty when the scheduler sent none.
	RunID string
	// TraceID is the run's trace id, as on the scheduler's log lines about
	// it: from a valid W3C traceparent header, else x-easy-task-trace-id.
	TraceID string
}

type callbackInfoKey struct{}

// CallbackInfoFrom returns the CallbackInfo of the callback a handler's ctx
// belongs to (the zero value for any other ctx).
func CallbackInfoFrom(ctx context.Context) CallbackInfo {
	info, _ := ctx.Value(callbackInfoKey{}).(CallbackInfo)
	return info
}

func withCallbackInfo(ctx context.Context, r *http.Request) context.Context {
	return context.WithValue(ctx, callbackInfoKey{}, CallbackInfo{
		Path:    r.URL.Path,
		RunID:   r.Header.Get("X-Easytask-Run-Id"),
		TraceID: traceID(r.Header),
	})
}

// version-traceid-parentid-flags; versions after 00 may append fields.
var traceparent = regexp.MustCompile(`^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}(-.*)?$`)

const (
	zeroTraceID = "00000000000000000000000000000000"
	zeroSpanID  = "0000000000000000"
)

func traceID(header http.Header) string {
	if m := traceparent.FindStringSubmatch(header.Get("Traceparent")); m != nil {
		version, trace, span, more := m[1], m[2], m[3], m[4]
		if version != "ff" && !(version == "00" && more != "") && trace != zeroTraceID && span != zeroSpanID {
			return trace
		}
	}
	return header.Get("X-Easy-Task-Trace-Id")
}
