package recipe

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

const renderRecipe = `name: hello
upstream:
  urls:
    - https://upstream.example/gnu/{{.Name}}/{{.Name}}-{{.Version}}.tar.gz
    - "{{.DebianMirror}}/pool/main/h/hello/hello_{{.Version}}.orig.tar.gz"
  verify:
    signature: "{{.URL}}.sig"
    checksums: https://upstream.example/gnu/{{.Name}}/{{.Version}}/SHA256SUMS
deb: {}
rpm:
  srpm: https://srpm.example/{{.Target}}/hello-{{.Version}}-1.src.rpm
`

func TestUpstreamURLs(t *testing.T) {
	t.Parallel()
	r, err := Parse("specs/hello.yaml", []byte(renderRecipe))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		data    TemplateData
		want    []string
		wantErr string
	}{
		{
			name: "both URLs, mirror without its trailing slash",
			data: TemplateData{Version: "2.12.1", DebianMirror: "http://mirror.example/debian/"},
			want: []string{
				"https://upstream.example/gnu/hello/hello-2.12.1.tar.gz",
				"http://mirror.example/debian/pool/main/h/hello/hello_2.12.1.orig.tar.gz",
			},
		},
		{
			name: "no mirror: the mirror URL is left out",
			data: TemplateData{Version: "2.12.1"},
			want: []string{"https://upstream.example/gnu/hello/hello-2.12.1.tar.gz"},
		},
		{
			name:    "no version",
			data:    TemplateData{DebianMirror: "http://mirror.example/debian"},
			wantErr: "recipe hello: no version given",
		},
		{
			name:    "a version that would change the URL's shape",
			data:    TemplateData{Version: "1.0/../../etc"},
			wantErr: `recipe hello: version "1.0/../../etc": expected an upstream version such as 2.4.62`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := r.UpstreamURLs(tt.data)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("UpstreamURLs =\n %q\nwant\n %q", got, tt.want)
			}
		})
	}
}

func TestUpstreamURLsAllNeedMirror(t *testing.T) {
	t.Parallel()
	src := strings.Replace(renderRecipe,
		"    - https://upstream.example/gnu/{{.Name}}/{{.Name}}-{{.Version}}.tar.gz\n", "", 1)
	r, err := Parse("specs/hello.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.UpstreamURLs(TemplateData{Version: "2.12.1"})
	if !errors.Is(err, ErrNoMirror) {
		t.Fatalf("error = %v, want ErrNoMirror", err)
	}
	if !strings.Contains(err.Error(), "set mirror: in backport.yaml") {
		t.Errorf("error %q does not say what to configure", err)
	}
}

func TestVerifyAndSRPMURLs(t *testing.T) {
	t.Parallel()
	r, err := Parse("specs/hello.yaml", []byte(renderRecipe))
	if err != nil {
		t.Fatal(err)
	}
	d := TemplateData{Version: "2.12.1", Target: "el9", URL: "https://upstream.example/gnu/hello/hello-2.12.1.tar.gz"}
	sig, err := r.SignatureURL(d)
	if err != nil || sig != d.URL+".sig" {
		t.Errorf("SignatureURL = %q, %v", sig, err)
	}
	sums, err := r.ChecksumsURL(d)
	if err != nil || sums != "https://upstream.example/gnu/hello/2.12.1/SHA256SUMS" {
		t.Errorf("ChecksumsURL = %q, %v", sums, err)
	}
	srpm, err := r.SRPMURL(d)
	if err != nil || srpm != "https://srpm.example/el9/hello-2.12.1-1.src.rpm" {
		t.Errorf("SRPMURL = %q, %v", srpm, err)
	}
	if _, err := r.SignatureURL(TemplateData{Version: "2.12.1"}); err == nil ||
		!strings.Contains(err.Error(), ".URL is set only in verify") {
		t.Errorf("SignatureURL without a URL: error = %v", err)
	}

	bare, err := Parse("hello.yaml", []byte(validRecipe))
	if err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]func(TemplateData) (string, error){
		"SignatureURL": bare.SignatureURL, "ChecksumsURL": bare.ChecksumsURL, "SRPMURL": bare.SRPMURL,
	} {
		if got, err := f(d); got != "" || err != nil {
			t.Errorf("%s on a recipe without one = %q, %v; want \"\", nil", name, got, err)
		}
	}
}

func TestRecipeFamilies(t *testing.T) {
	t.Parallel()
	r, err := Parse("specs/hello.yaml", []byte(renderRecipe+"  services: [httpd]\n  health: curl -fsS http://localhost/\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Supports(Target{Name: "el9", Family: FamilyRPM}); err != nil {
		t.Error(err)
	}
	if got := r.Services(FamilyRPM); !reflect.DeepEqual(got, []string{"httpd"}) {
		t.Errorf("Services(rpm) = %q", got)
	}
	if got := r.Health(FamilyRPM); got != "curl -fsS http://localhost/" {
		t.Errorf("Health(rpm) = %q", got)
	}
	if got := r.Services(FamilyDeb); got != nil {
		t.Errorf("Services(deb) = %q, want none", got)
	}

	debOnly, err := Parse("hello.yaml", []byte(validRecipe))
	if err != nil {
		t.Fatal(err)
	}
	err = debOnly.Supports(Target{Name: "el9", Family: FamilyRPM})
	if err == nil || err.Error() != "recipe hello has no rpm: section, so it cannot build for el9" {
		t.Errorf("Supports(el9) = %v", err)
	}
}
