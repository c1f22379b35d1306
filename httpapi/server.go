// Package httpapi serves a node over HTTP: health and metrics for operators, and the JSON
// API under /api/v1/ for people's tools, programs and the CLI. Handlers are methods on
// Server and every route is registered in one block in routes.
package httpapi

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
	"github.com/forewarn/forewarn/internal/workers"
)

// MaxBodyBytes bounds every request body the API reads.
const MaxBodyBytes = 1 << 20

// Server is a node's HTTP server.
type Server struct {
	Node     *app.Node
	Messages *app.Messages // nil on a node that does not exchange messages
	Importer *Importer     // nil on a node that takes no imports over the API
	Logger   *slog.Logger
	// AllowInsecurePeers lets an administrator register a peer at a plain-HTTP URL off
	// loopback, as serve's --allow-insecure-http does for delivering to one.
	AllowInsecurePeers bool
	// MetricsToken, when set, is the bearer token /metrics requires; unset, /metrics
	// answers loopback clients only. Metrics show who the node talks to and how much.
	MetricsToken string

	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	mux      *http.ServeMux
	srv      *http.Server
	ln       net.Listener

	requireClientCert bool
	patterns          []string

	fedReaders, fedWorkers chan struct{} // slots of the federation endpoint
	fedItems               chan struct{} // envelopes being received, single or of batches
	// receivers receive a batch's envelopes, on goroutines whose stacks stay grown.
	receivers workers.Pool
}

// NewServer returns a server for node with its routes registered.
func NewServer(node *app.Node, logger *slog.Logger) *Server {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{Node: node, Logger: logger, registry: prometheus.NewRegistry(), mux: http.NewServeMux(),
		fedReaders: make(chan struct{}, FederationReaders), fedWorkers: make(chan struct{}, FederationWorkers),
		fedItems: make(chan struct{}, FederationItems)}
	s.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "forewarn_http_requests_total", Help: "HTTP requests served, by route and status code.",
	}, []string{"route", "code"})
	s.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "forewarn_http_request_duration_seconds", Help: "Time to serve an HTTP request, by route.",
		Buckets: prometheus.DefBuckets,
	}, []string{"route"})
	s.registry.MustRegister(s.requests, s.duration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s.routes()
	return s
}

// Registry returns the server's metrics registry, for other components' collectors.
func (s *Server) Registry() *prometheus.Registry { return s.registry }

// Handle mounts another component's handler (the web pages, federation endpoints) on the
// server's mux with the same metrics and logging.
func (s *Server) Handle(pattern string, h http.Handler) { s.handle(pattern, h.ServeHTTP) }

func (s *Server) handle(pattern string, h http.HandlerFunc) {
	s.patterns = append(s.patterns, pattern)
	s.mux.Handle(pattern, s.instrument(pattern, h))
}

// Patterns returns every pattern the server serves, in registration order.
func (s *Server) Patterns() []string { return append([]string(nil), s.patterns...) }

func (s *Server) instrument(route string, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		h(sw, r)
		s.requests.WithLabelValues(route, strconv.Itoa(sw.code)).Inc()
		s.duration.WithLabelValues(route).Observe(time.Since(start).Seconds())
		if s.Logger.Enabled(r.Context(), slog.LevelDebug) { // its arguments cost an allocation each
			s.Logger.Debug("request", "method", r.Method, "path", r.URL.Path, "route", route, "status", sw.code, "took", time.Since(start), "remote", r.RemoteAddr)
		}
	})
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) { w.code = code; w.ResponseWriter.WriteHeader(code) }

// Unwrap lets http.ResponseController reach the connection (read deadlines, flushing).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// ServeHTTP lets the server be used as a plain handler (tests, TLS listeners).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Open starts listening on addr (":0" picks a free port) and serving in the background,
// over TLS when cfg is not nil. With cfg.ClientCAs set, the federation endpoint accepts
// only peers presenting a verified client certificate (mutual TLS).
func (s *Server) Open(addr string, cfg *tls.Config) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	if cfg != nil {
		s.requireClientCert = cfg.ClientCAs != nil
		ln = tls.NewListener(ln, cfg)
	}
	s.ln = ln
	if s.Importer != nil {
		// A process killed during an upload or an import leaves its spooled file: on
		// start, the ones no live process holds go.
		s.Importer.sweep(s.Logger)
	}
	s.srv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.Logger.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.Logger.Error("http server stopped", "err", err)
		}
	}()
	return nil
}

// Addr returns the address the server listens on.
func (s *Server) Addr() string {
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Close stops accepting connections and waits for requests in flight, up to ctx's deadline.
func (s *Server) Close(ctx context.Context) error {
	if s.Importer != nil {
		defer s.Importer.stop()
	}
	if s.srv == nil {
		return nil
	}
	return s.srv.Shutdown(ctx)
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	info, err := s.Node.Store.Node(r.Context())
	if err != nil {
		s.Logger.Error("health check failed", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": forewarn.ErrorMessage(err)})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "agency": info.Agency.Code})
}

func (s *Server) handleNode(w http.ResponseWriter, r *http.Request) {
	info, err := s.Node.Store.Node(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, info)
}
