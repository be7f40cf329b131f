package fetch

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/backport/backport/pkg/exitcode"
)

func testClient() *Client {
	return NewClient(ClientOptions{RetryWait: time.Millisecond, Retries: 2})
}

func TestDownloadNotFound(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/gone.tar.gz" {
			w.WriteHeader(http.StatusGone)
			return
		}
		http.NotFound(w, r)
	}))
	defer srv.Close()
	for path, status := range map[string]string{"/hello-9.9.tar.gz": "404 Not Found", "/gone.tar.gz": "410 Gone"} {
		_, err := testClient().Download(context.Background(), srv.URL+path, &bytes.Buffer{})
		var nf *NotFoundError
		if !errors.As(err, &nf) {
			t.Fatalf("%s: err = %v, want *NotFoundError", path, err)
		}
		if want := srv.URL + path + ": " + status; err.Error() != want {
			t.Errorf("error %q, want %q", err, want)
		}
	}
}

func TestDownloadRetriesServerErrors(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("User-Agent") != UserAgent {
			t.Errorf("User-Agent %q", r.Header.Get("User-Agent"))
		}
		if calls.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	var buf bytes.Buffer
	if _, err := testClient().Download(context.Background(), srv.URL+"/x", &buf); err != nil {
		t.Fatal(err)
	}
	if buf.String() != "ok" || calls.Load() != 2 {
		t.Errorf("got %q after %d calls", buf.String(), calls.Load())
	}

	// Past the retries, the last status is the error.
	always := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
	}))
	defer always.Close()
	_, err := testClient().Download(context.Background(), always.URL+"/x", &buf)
	if err == nil || !strings.Contains(err.Error(), "502") {
		t.Errorf("err = %v, want one naming the 502", err)
	}
}

func TestDownloadTruncated(t *testing.T) {
	t.Parallel()
	body := bytes.Repeat([]byte("0123456789"), 1000)
	handlers := map[string]http.HandlerFunc{
		"short body": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", fmt.Sprint(len(body)))
			w.Write(body[:len(body)/2])
		},
		"connection cut": func(w http.ResponseWriter, r *http.Request) {
			w.Write(body[:len(body)/2])
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler) // drop the connection mid-body
		},
	}
	for name, h := range handlers {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(h)
			defer srv.Close()
			var buf bytes.Buffer
			if _, err := testClient().Download(context.Background(), srv.URL+"/f", &buf); err == nil {
				t.Fatal("truncated download accepted")
			}

			cache := newTestCache(t)
			_, err := cache.FetchVerifiedBy(context.Background(), srv.URL+"/f", func(string) error { return nil })
			if err == nil {
				t.Fatal("truncated download stored")
			}
			if _, err := cache.Fetch(context.Background(), srv.URL+"/f", expectOf(body)); err == nil {
				t.Fatal("truncated download served")
			}
			if cacheHolds(t, cache.Dir(), body[:len(body)/2]) || len(tempFiles(t, cache)) > 0 {
				t.Error("part of the truncated download is left in the cache")
			}
		})
	}
}

// A server that labels a .tar.gz "Content-Encoding: gzip" must not make us
// store the decompressed tar.
func TestDownloadKeepsContentEncoding(t *testing.T) {
	t.Parallel()
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write([]byte("tar contents"))
	w.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(gz.Bytes())
	}))
	defer srv.Close()
	var buf bytes.Buffer
	if _, err := testClient().Download(context.Background(), srv.URL+"/a.tar.gz", &buf); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), gz.Bytes()) {
		t.Errorf("got %q, want the gzip bytes as served", buf.Bytes())
	}
}

func TestDownloadFileURL(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a b.txt"), []byte("local"), 0o644); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := testClient().Download(context.Background(), "file://"+dir+"/a%20b.txt", &buf); err != nil {
		t.Fatal(err)
	}
	if buf.String() != "local" {
		t.Errorf("got %q", buf.String())
	}
	_, err := testClient().Download(context.Background(), "file://"+dir+"/missing", &buf)
	if !isNotFound(err) {
		t.Errorf("missing file: err = %v, want NotFoundError", err)
	}
	if _, err := testClient().Download(context.Background(), "ftp://example.invalid/x", &buf); err == nil {
		t.Error("ftp:// accepted")
	}
}

func TestDownloadCancelled(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable) // keeps the client retrying
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	c := NewClient(ClientOptions{RetryWait: time.Second, Retries: 10})
	start := time.Now()
	_, err := c.Download(ctx, srv.URL+"/x", &bytes.Buffer{})
	if exitcode.Of(err) != exitcode.Interrupted {
		t.Errorf("err = %v (exit %d), want a cancellation", err, exitcode.Of(err))
	}
	if time.Since(start) > 5*time.Second {
		t.Error("cancellation did not stop the retries")
	}
}

// The client reports each download to the Progress it was given.
func TestDownloadReportsProgress(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "5000")
		w.Write(bytes.Repeat([]byte("x"), 5000))
	}))
	defer srv.Close()
	rec := &recordingProgress{}
	c := NewClient(ClientOptions{Progress: rec})
	if _, err := c.Download(context.Background(), srv.URL+"/dir/hello_2.10.orig.tar.gz", &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if rec.name != "hello_2.10.orig.tar.gz" || rec.size != 5000 || rec.bytes != 5000 || !rec.done || rec.err != nil {
		t.Errorf("progress saw %+v, want hello_2.10.orig.tar.gz, 5000 of 5000 bytes, done", rec)
	}
}

// recordingProgress remembers what one download reported.
type recordingProgress struct {
	name        string
	size, bytes int64
	done        bool
	err         error
}

func (p *recordingProgress) Start(name string, size int64) ProgressTracker {
	p.name, p.size = name, size
	return p
}
func (p *recordingProgress) Add(n int)      { p.bytes += int64(n) }
func (p *recordingProgress) Done(err error) { p.done, p.err = true, err }
