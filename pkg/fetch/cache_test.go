package fetch

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/backport/backport/pkg/exitcode"
)

// blobServer serves one body at any path and counts requests.
type blobServer struct {
	*httptest.Server
	body     []byte
	requests atomic.Int32
	delay    time.Duration
}

func newBlobServer(t testing.TB, body []byte) *blobServer {
	t.Helper()
	s := &blobServer{body: body}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		time.Sleep(s.delay)
		w.Write(s.body)
	}))
	t.Cleanup(s.Close)
	return s
}

func expectOf(data []byte) Expect {
	sum := sha256.Sum256(data)
	return Expect{SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data))}
}

func TestCacheHitMakesNoRequest(t *testing.T) {
	t.Parallel()
	body := []byte("hello 2.12.3 tarball")
	srv := newBlobServer(t, body)
	cache := newTestCache(t)
	ctx := context.Background()

	first, err := cache.Fetch(ctx, srv.URL+"/hello.tar.gz", expectOf(body))
	if err != nil {
		t.Fatal(err)
	}
	want := expectOf(body).SHA256
	if first != filepath.Join(cache.Dir(), "sha256", want[:2], want) {
		t.Errorf("blob at %s", first)
	}
	second, err := cache.Fetch(ctx, srv.URL+"/elsewhere/hello.tar.gz", Expect{SHA256: want}) // size unknown
	if err != nil {
		t.Fatal(err)
	}
	if second != first || srv.requests.Load() != 1 {
		t.Errorf("second fetch: path %s, %d requests in all; want the same blob and 1 request", second, srv.requests.Load())
	}
	if p, ok := cache.Lookup(expectOf(body)); !ok || p != first {
		t.Errorf("Lookup = %q, %v", p, ok)
	}
}

func TestCacheCorruptBlobIsNotServed(t *testing.T) {
	t.Parallel()
	body := []byte("the real contents")
	srv := newBlobServer(t, body)
	cache := newTestCache(t)
	ctx := context.Background()
	blob, err := cache.Fetch(ctx, srv.URL+"/f", expectOf(body))
	if err != nil {
		t.Fatal(err)
	}
	for _, damage := range [][]byte{
		[]byte("the real c0ntents"), // same size, other bytes
		[]byte("short"),
	} {
		if err := os.WriteFile(blob, damage, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, ok := cache.Lookup(expectOf(body)); ok {
			t.Error("Lookup accepted a corrupt blob")
		}
		before := srv.requests.Load()
		got, err := cache.Fetch(ctx, srv.URL+"/f", expectOf(body))
		if err != nil {
			t.Fatal(err)
		}
		if data, _ := os.ReadFile(got); !bytes.Equal(data, body) {
			t.Errorf("served %q", data)
		}
		if srv.requests.Load() != before+1 {
			t.Error("a corrupt blob was not downloaded again")
		}
	}
}

func TestCacheRejectsMismatch(t *testing.T) {
	t.Parallel()
	served := []byte("what the mirror sends")
	srv := newBlobServer(t, served)
	cache := newTestCache(t)
	for name, want := range map[string]Expect{
		"other hash":         expectOf([]byte("what the index says")),
		"same hash, smaller": {SHA256: expectOf(served).SHA256, Size: 5},
	} {
		_, err := cache.Fetch(context.Background(), srv.URL+"/f", want)
		if exitcode.Of(err) != exitcode.Verification {
			t.Errorf("%s: err = %v, want a verification error", name, err)
		}
		if cacheHolds(t, cache.Dir(), served) || len(tempFiles(t, cache)) > 0 {
			t.Errorf("%s: the rejected download is in the cache", name)
		}
	}
	if _, err := cache.Fetch(context.Background(), srv.URL+"/f", Expect{SHA256: "abc"}); err == nil ||
		exitcode.Of(err) == exitcode.Verification {
		t.Errorf("malformed expected hash: err = %v, want a plain error", err)
	}
}

func TestCacheNotFound(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	cache := newTestCache(t)
	_, err := cache.Fetch(context.Background(), srv.URL+"/hello-9.9.tar.gz", expectOf([]byte("x")))
	if !isNotFound(err) {
		t.Errorf("err = %v, want NotFoundError", err)
	}
	if len(tempFiles(t, cache)) > 0 {
		t.Error("temporary file left after a 404")
	}
}

func TestCacheConcurrentFetches(t *testing.T) {
	t.Parallel()
	body := make([]byte, 1<<20)
	rand.Read(body)
	srv := newBlobServer(t, body)
	srv.delay = 100 * time.Millisecond // so the fetches overlap
	cache := newTestCache(t)

	var wg sync.WaitGroup
	paths := make([]string, 8)
	errs := make([]error, 8)
	for i := range paths {
		wg.Go(func() {
			paths[i], errs[i] = cache.Fetch(context.Background(), srv.URL+"/big", expectOf(body))
		})
	}
	wg.Wait()
	for i := range paths {
		if errs[i] != nil {
			t.Fatalf("fetch %d: %v", i, errs[i])
		}
		if paths[i] != paths[0] {
			t.Errorf("fetch %d got %s, fetch 0 got %s", i, paths[i], paths[0])
		}
	}
	if data, _ := os.ReadFile(paths[0]); !bytes.Equal(data, body) {
		t.Error("blob content differs from the download")
	}
	if n := srv.requests.Load(); n != 1 {
		t.Errorf("%d downloads of the same blob, want 1", n)
	}
	if left := tempFiles(t, cache); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestCacheFetchVerifiedBy(t *testing.T) {
	t.Parallel()
	body := []byte("SHA256SUMS contents")
	srv := newBlobServer(t, body)
	cache := newTestCache(t)
	ctx := context.Background()

	refused := exitcode.New(exitcode.Verification, "bad signature")
	if _, err := cache.FetchVerifiedBy(ctx, srv.URL+"/SHA256SUMS", func(string) error { return refused }); !errors.Is(err, refused) {
		t.Errorf("err = %v, want verify's error unchanged", err)
	}
	if cacheHolds(t, cache.Dir(), body) {
		t.Error("a file that failed verification was stored")
	}

	var seen []byte
	blob, err := cache.FetchVerifiedBy(ctx, srv.URL+"/SHA256SUMS", func(p string) error {
		seen, _ = os.ReadFile(p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(seen, body) || blob.SHA256 != expectOf(body).SHA256 || blob.Size != int64(len(body)) {
		t.Errorf("verify saw %q; blob %+v", seen, blob)
	}
	if p, ok := cache.Lookup(expectOf(body)); !ok || p != blob.Path {
		t.Error("verified file not stored under its hash")
	}
}

func TestCacheRememberRecall(t *testing.T) {
	t.Parallel()
	cache := newTestCache(t)
	type resolution struct {
		URL    string
		SHA256 string
	}
	in := resolution{URL: "https://example.invalid/hello-2.12.3.tar.gz", SHA256: expectOf([]byte("x")).SHA256}
	key := "upstream/hello/2.12.3/debian-12"
	var out resolution
	if cache.Recall(key, &out) {
		t.Fatal("recalled a value never remembered")
	}
	if err := cache.Remember(key, in); err != nil {
		t.Fatal(err)
	}
	if !cache.Recall(key, &out) || out != in {
		t.Errorf("Recall = %+v, want %+v", out, in)
	}
	if cache.Recall(key+"/other", &out) {
		t.Error("recalled a value under another key")
	}
	if err := cache.Forget(key); err != nil || cache.Recall(key, &out) {
		t.Errorf("Forget: %v", err)
	}
}

func TestDefaultCacheDirHonoursXDG(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", dir)
	got, err := DefaultCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	if got != filepath.Join(dir, "backport") {
		t.Errorf("DefaultCacheDir = %s", got)
	}
	c, err := NewCache("", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Dir() != got {
		t.Errorf("NewCache(\"\") uses %s", c.Dir())
	}
}

// BenchmarkCacheHit measures what re-hashing a cached blob on every use
// costs: the price of never serving a file changed on disk.
func BenchmarkCacheHit(b *testing.B) {
	body := make([]byte, 10<<20)
	rand.Read(body)
	srv := newBlobServer(b, body)
	cache := newTestCache(b)
	want := expectOf(body)
	if _, err := cache.Fetch(context.Background(), srv.URL+"/f", want); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := cache.Fetch(context.Background(), srv.URL+"/f", want); err != nil {
			b.Fatal(err)
		}
	}
}

// Mirror URLs may carry a password; errors must not.
func TestCacheErrorsRedactPasswords(t *testing.T) {
	t.Parallel()
	srv := newBlobServer(t, []byte("served"))
	cache := newTestCache(t)
	u := strings.Replace(srv.URL, "http://", "http://user:s3cret@", 1) + "/f"
	_, err := cache.Fetch(context.Background(), u, expectOf([]byte("other")))
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("err = %v; want an error without the password", err)
	}
	notFound := httptest.NewServer(http.NotFoundHandler())
	defer notFound.Close()
	_, err = cache.Fetch(context.Background(), strings.Replace(notFound.URL, "http://", "http://user:s3cret@", 1)+"/f", expectOf([]byte("x")))
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("err = %v; want an error without the password", err)
	}
}
