package container

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestRedactingWriterCatchesSplitSecrets(t *testing.T) {
	t.Parallel()
	const secret = "hunter2-very-secret"
	text := "token=" + secret + " and again " + secret + "!\n"
	for _, chunk := range []int{1, 2, 3, 7, len(text)} {
		var out bytes.Buffer
		w := newRedactor([]string{secret, ""}).writer(&out)
		for i := 0; i < len(text); i += chunk {
			if _, err := w.Write([]byte(text[i:min(i+chunk, len(text))])); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		want := "token=" + redacted + " and again " + redacted + "!\n"
		if out.String() != want {
			t.Errorf("chunks of %d: got %q, want %q", chunk, out.String(), want)
		}
	}
}

func TestRunnerErrorCarriesTail(t *testing.T) {
	t.Parallel()
	r := &Runner{Secrets: []string{"pa55"}, TailSize: 64}
	var stderr bytes.Buffer
	// One stream: the order of lines across stdout and stderr is the
	// scheduler's.
	script := `for i in $(seq 1 50); do echo "line $i"; done >&2; echo "failed with pa55" >&2; exit 4`
	res, err := r.Run(context.Background(), Command{Args: []string{"sh", "-c", script, "pa55"}, Stdout: &bytes.Buffer{}, Stderr: &stderr})
	var ce *CommandError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want a *CommandError", err)
	}
	if ce.ExitCode != 4 || res.ExitCode != 4 {
		t.Errorf("exit code %d/%d, want 4", ce.ExitCode, res.ExitCode)
	}
	if len(ce.Tail) > 64 || !strings.HasSuffix(ce.Tail, "failed with "+redacted+"\n") {
		t.Errorf("tail = %q: want the last 64 bytes, redacted", ce.Tail)
	}
	if got, want := err.Error(), "sh: exit status 4: failed with "+redacted; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
	if strings.Contains(strings.Join(ce.Args, " "), "pa55") || strings.Contains(stderr.String(), "pa55") {
		t.Error("secret shown in argv or stream")
	}
}

func TestRunnerCapturesDataAndPipes(t *testing.T) {
	t.Parallel()
	var seen []string
	r := &Runner{Observe: func(c Command) { seen = append(seen, strings.Join(c.Args, " ")) }}
	res, err := r.Run(context.Background(), Command{Args: []string{"sh", "-c", "printf data; echo note >&2"}})
	if err != nil || string(res.Stdout) != "data" || res.Tail != "note\n" {
		t.Fatalf("Run = %+v, %v: want stdout captured and stderr in the tail", res, err)
	}
	var pipe bytes.Buffer
	res, err = r.Run(context.Background(), Command{Args: []string{"printf", `\000raw`}, Pipe: &pipe})
	if err != nil || pipe.String() != "\x00raw" || res.Tail != "" {
		t.Errorf("Pipe: got %q, tail %q, %v", pipe.String(), res.Tail, err)
	}
	if len(seen) != 2 || seen[0] != "sh -c printf data; echo note >&2" {
		t.Errorf("Observe saw %q", seen)
	}
	_, err = r.Run(context.Background(), Command{Args: []string{"/nonexistent/tool"}})
	var ce *CommandError
	if !errors.As(err, &ce) || ce.ExitCode != -1 {
		t.Errorf("missing program: %v", err)
	}
}

func TestRunnerProcessGroupCancel(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	// A child that outlives the shell's own death would hold the pipes open.
	res, err := (&Runner{}).Run(ctx, Command{
		Args:         []string{"sh", "-c", "sleep 30 & sleep 30; wait"},
		Stdout:       &bytes.Buffer{},
		ProcessGroup: true,
		WaitDelay:    2 * time.Second,
	})
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("cancelled group took %s to end", took)
	}
	if !errors.Is(err, context.DeadlineExceeded) || res.ExitCode != 143 {
		t.Errorf("Run = %d, %v; want 143 and the context's error", res.ExitCode, err)
	}
}
