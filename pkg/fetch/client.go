package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// UserAgent is sent with every HTTP request.
const UserAgent = "backport"

// NotFoundError reports a URL that does not exist: HTTP 404 or 410, or a
// missing file:// path. Callers use it to try the next mirror, or to say
// that a version has no upstream tarball.
type NotFoundError struct {
	URL    string // with any password redacted
	Status string // "404 Not Found", "410 Gone", "no such file"
}

func (e *NotFoundError) Error() string { return e.URL + ": " + e.Status }

// ClientOptions configures NewClient. The zero value is a usable default.
type ClientOptions struct {
	// Logger receives retries (warn) and each request (debug); nil is silent.
	Logger *slog.Logger
	// Progress is told about every download; nil reports nothing.
	Progress Progress
	// Retries is how many times a request that failed to connect or got a
	// 5xx/429 is tried again. 0 means 4; a negative value means none.
	Retries int
	// RetryWait is the first backoff, doubled on each retry up to 30s.
	// 0 means 1s.
	RetryWait time.Duration
	// HTTPClient carries the requests; nil means a pooled client that
	// honours HTTP_PROXY and HTTPS_PROXY.
	HTTPClient *http.Client
}

// Client downloads http://, https:// and file:// URLs.
type Client struct {
	http     *retryablehttp.Client
	progress Progress
	log      *slog.Logger
}

// NewClient returns a Client configured by opts.
func NewClient(opts ClientOptions) *Client {
	rc := retryablehttp.NewClient()
	// retryablehttp logs to stderr through the standard logger unless told
	// otherwise; our output belongs to the caller.
	rc.Logger = nil
	// The default policy drops the reason for the last retry; keep it, so
	// "giving up after 5 attempts" says which status it got.
	rc.CheckRetry = checkRetry
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	} else {
		rc.Logger = retryLogger{log}
	}
	switch {
	case opts.Retries > 0:
		rc.RetryMax = opts.Retries
	case opts.Retries < 0:
		rc.RetryMax = 0
	default:
		rc.RetryMax = 4
	}
	rc.RetryWaitMin = opts.RetryWait
	if rc.RetryWaitMin <= 0 {
		rc.RetryWaitMin = time.Second
	}
	rc.RetryWaitMax = max(30*time.Second, rc.RetryWaitMin)
	if opts.HTTPClient != nil {
		rc.HTTPClient = opts.HTTPClient
	}
	progress := opts.Progress
	if progress == nil {
		progress = NoProgress
	}
	return &Client{http: rc, progress: progress, log: log}
}

// Download writes the body of rawURL to w and returns its length. A body
// shorter than the server announced, or cut off, is an error: the caller
// must discard what was written.
func (c *Client) Download(ctx context.Context, rawURL string, w io.Writer) (int64, error) {
	return c.download(ctx, rawURL, "", w)
}

// download is Download with the name shown to Progress; empty means the
// last element of the URL's path.
func (c *Client) download(ctx context.Context, rawURL, name string, w io.Writer) (int64, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return 0, fmt.Errorf("bad URL %q: %w", rawURL, err)
	}
	if name == "" {
		name = path.Base(u.Path)
		// Every suite has an InRelease and a Sources.xz: name the suite.
		if _, idx, ok := strings.Cut(u.Path, "/dists/"); ok {
			name = idx
		}
	}
	switch u.Scheme {
	case "http", "https":
		return c.downloadHTTP(ctx, u, name, w)
	case "file":
		return c.downloadFile(ctx, u, name, w)
	default:
		return 0, fmt.Errorf("%s: unsupported URL scheme %q (want http, https or file)", u.Redacted(), u.Scheme)
	}
}

func (c *Client) downloadHTTP(ctx context.Context, u *url.URL, name string, w io.Writer) (int64, error) {
	shown := u.Redacted()
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", shown, err)
	}
	req.Header.Set("User-Agent", UserAgent)
	// Without this, net/http asks for gzip and transparently decompresses;
	// a server that labels a .tar.gz "Content-Encoding: gzip" would then
	// hand us the .tar instead of the file whose hash we check.
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, fmt.Errorf("%s: %w", shown, ctx.Err())
		}
		return 0, err // retryablehttp's message names the URL and the attempts
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return 0, &NotFoundError{URL: shown, Status: resp.Status}
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return 0, fmt.Errorf("%s: %s", shown, resp.Status)
	}
	body := &readErrRecorder{r: resp.Body}
	n, err := c.copyTracked(w, body, name, resp.ContentLength)
	switch {
	case err != nil && ctx.Err() != nil:
		return n, fmt.Errorf("%s: %w", shown, ctx.Err())
	case err != nil && body.err == nil: // our writer failed (disk full, too large)
		return n, fmt.Errorf("%s: %w", shown, err)
	case err != nil && resp.ContentLength >= 0:
		return n, fmt.Errorf("%s: truncated download: got %d of %d bytes: %w", shown, n, resp.ContentLength, err)
	case err != nil:
		return n, fmt.Errorf("%s: download cut off after %d bytes: %w", shown, n, err)
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return n, fmt.Errorf("%s: truncated download: got %d of %d bytes", shown, n, resp.ContentLength)
	}
	return n, nil
}

// downloadFile serves file:// URLs, so a local mirror copy (or a test
// fixture) works wherever a URL does.
func (c *Client) downloadFile(ctx context.Context, u *url.URL, name string, w io.Writer) (int64, error) {
	if u.Host != "" && u.Host != "localhost" {
		return 0, fmt.Errorf("%s: file URLs must be local (file:///path)", u.Redacted())
	}
	f, err := os.Open(u.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, &NotFoundError{URL: u.Redacted(), Status: "no such file"}
	}
	if err != nil {
		return 0, err
	}
	defer f.Close()
	size := int64(-1)
	if fi, err := f.Stat(); err == nil {
		size = fi.Size()
	}
	n, err := c.copyTracked(w, contextReader{ctx, f}, name, size)
	if err != nil {
		return n, fmt.Errorf("%s: %w", u.Redacted(), err)
	}
	return n, nil
}

// copyTracked copies r to w and tells the progress reporter about it.
func (c *Client) copyTracked(w io.Writer, r io.Reader, name string, size int64) (int64, error) {
	tracker := c.progress.Start(name, size)
	n, err := io.Copy(progressWriter{w, tracker}, r)
	tracker.Done(err)
	return n, err
}

type progressWriter struct {
	w       io.Writer
	tracker ProgressTracker
}

func (p progressWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.tracker.Add(n)
	return n, err
}

// readErrRecorder remembers a failed read, to tell a cut-off body from a
// failed write.
type readErrRecorder struct {
	r   io.Reader
	err error
}

func (r *readErrRecorder) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		r.err = err
	}
	return n, err
}

// contextReader stops a local copy when the context is cancelled; network
// bodies get this from net/http already.
type contextReader struct {
	ctx context.Context
	r   io.Reader
}

func (c contextReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// redact hides a password in a URL for messages: mirrors and stores may
// carry credentials, which must never reach output or logs.
func redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return rawURL
	}
	return u.Redacted()
}

// checkRetry retries what may pass (5xx, resets, timeouts) but not a host
// name that does not resolve: on an air-gapped box an upstream site is
// simply absent, and the next URL of the recipe should be tried at once.
func checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		return false, err
	}
	return retryablehttp.ErrorPropagatedRetryPolicy(ctx, resp, err)
}

// retryLogger routes retryablehttp's messages to slog at debug level: the
// request is about to be retried, and a final failure reaches the caller as
// an error anyway.
type retryLogger struct{ log *slog.Logger }

func (l retryLogger) Error(msg string, kv ...any) { l.log.Debug(msg, kv...) }
func (l retryLogger) Warn(msg string, kv ...any)  { l.log.Debug(msg, kv...) }
func (l retryLogger) Info(msg string, kv ...any)  { l.log.Info(msg, kv...) }
func (l retryLogger) Debug(msg string, kv ...any) { l.log.Debug(msg, kv...) }
