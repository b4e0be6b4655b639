// Package easytask is the Go SDK of easytask: typed clients of its
// TaskService, RegistryService and ClusterService over Connect, and TaskServer, an
// http.Handler that serves the callback protocol with one handler function.
package easytask

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"connectrpc.com/connect"

	"github.com/easytask/easytask/clients/go/gen/easytask/v1/easytaskv1connect"
)

// Client holds typed clients of the easytask API. The messages are in
// github.com/easytask/easytask/clients/go/gen/easytask/v1.
type Client struct {
	Tasks    easytaskv1connect.TaskServiceClient
	Registry easytaskv1connect.RegistryServiceClient
	Cluster  easytaskv1connect.ClusterServiceClient
}

type settings struct {
	token         string
	httpClient    connect.HTTPClient
	clientOptions []connect.ClientOption
}

// Option configures NewClient.
type Option func(*settings)

// WithToken sends "Authorization: Bearer <token>" on every call.
func WithToken(token string) Option {
	return func(s *settings) { s.token = token }
}

// WithHTTPClient replaces http.DefaultClient, e.g. for TLS settings, or an
// HTTP/2 cleartext client for connect.WithGRPC().
func WithHTTPClient(client connect.HTTPClient) Option {
	return func(s *settings) { s.httpClient = client }
}

// WithClientOptions passes options to the Connect clients (protocol,
// codec, interceptors …). Their interceptors run after the token's.
func WithClientOptions(opts ...connect.ClientOption) Option {
	return func(s *settings) { s.clientOptions = append(s.clientOptions, opts...) }
}

// NewClient returns clients of the easytask server at baseURL, e.g.
// "http://127.0.0.1:8801". They speak Connect with binary protobuf unless
// told otherwise with WithClientOptions.
func NewClient(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("easytask: base URL %q must be http:// or https:// and a host, e.g. http://127.0.0.1:8801", baseURL)
	}
	s := settings{httpClient: http.DefaultClient}
	for _, opt := range opts {
		opt(&s)
	}
	var clientOptions []connect.ClientOption
	if s.token != "" {
		clientOptions = append(clientOptions, connect.WithInterceptors(bearer(s.token)))
	}
	clientOptions = append(clientOptions, s.clientOptions...)
	return &Client{
		Tasks:    easytaskv1connect.NewTaskServiceClient(s.httpClient, baseURL, clientOptions...),
		Registry: easytaskv1connect.NewRegistryServiceClient(s.httpClient, baseURL, clientOptions...),
		Cluster:  easytaskv1connect.NewClusterServiceClient(s.httpClient, baseURL, clientOptions...),
	}, nil
}

func bearer(token string) connect.UnaryInterceptorFunc {
	return func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			req.Header().Set("Authorization", "Bearer "+token)
			return next(ctx, req)
		}
	}
}
