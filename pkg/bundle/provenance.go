package bundle

import (
	"path"
	"strings"
	"time"
)

// The in-toto Statement v1 with an SLSA v1 provenance predicate, written
// as plain structs: the in-toto Go bindings are protobuf types and would
// bring the protobuf runtime for four small objects.
const (
	StatementType  = "https://in-toto.io/Statement/v1"
	PredicateSLSA  = "https://slsa.dev/provenance/v1"
	BuildType      = "https://github.com/backport/backport/blob/main/pkg/bundle/SCHEMA.md#build-type-v1"
	BuilderID      = "https://github.com/backport/backport"
	provenanceName = "provenance.intoto.json"
)

// Statement is an in-toto attestation statement.
type Statement struct {
	Type          string        `json:"_type"`
	Subject       []Descriptor  `json:"subject"`
	PredicateType string        `json:"predicateType"`
	Predicate     SLSAPredicate `json:"predicate"`
}

// Descriptor is an in-toto ResourceDescriptor.
type Descriptor struct {
	Name        string            `json:"name,omitempty"`
	URI         string            `json:"uri,omitempty"`
	Digest      map[string]string `json:"digest,omitempty"`
	Annotations map[string]any    `json:"annotations,omitempty"`
}

// SLSAPredicate is the SLSA v1 provenance predicate.
type SLSAPredicate struct {
	BuildDefinition BuildDefinition `json:"buildDefinition"`
	RunDetails      RunDetails      `json:"runDetails"`
}

// BuildDefinition says what was built from what.
type BuildDefinition struct {
	BuildType            string         `json:"buildType"`
	ExternalParameters   map[string]any `json:"externalParameters"`
	InternalParameters   map[string]any `json:"internalParameters,omitempty"`
	ResolvedDependencies []Descriptor   `json:"resolvedDependencies"`
}

// RunDetails says who built it and when.
type RunDetails struct {
	Builder  BuilderInfo   `json:"builder"`
	Metadata BuildMetadata `json:"metadata"`
}

// BuilderInfo identifies backport as the builder.
type BuilderInfo struct {
	ID      string            `json:"id"`
	Version map[string]string `json:"version,omitempty"`
}

// BuildMetadata carries the build's identity and time.
type BuildMetadata struct {
	InvocationID string `json:"invocationId,omitempty"`
	FinishedOn   string `json:"finishedOn,omitempty"`
}

// buildProvenance describes the packages' build: the request as external
// parameters; the remedies and patch fates as internal ones (backport chose
// them); sources and the builder image as resolved dependencies.
func buildProvenance(in Input, bundle string, pkgs []Package) *Statement {
	st := &Statement{Type: StatementType, PredicateType: PredicateSLSA, Subject: []Descriptor{}}
	for _, p := range pkgs {
		st.Subject = append(st.Subject, Descriptor{Name: path.Base(p.File), Digest: map[string]string{"sha256": p.SHA256}})
	}
	params := map[string]string{}
	for k, v := range in.Parameters {
		params[k] = v
	}
	deps := []Descriptor{}
	for _, s := range in.Sources {
		d := Descriptor{Name: s.Name, URI: s.URL, Annotations: map[string]any{"role": s.Role, "verifiedBy": s.VerifiedBy}}
		if s.SHA256 != "" {
			d.Digest = map[string]string{"sha256": s.SHA256}
		}
		deps = append(deps, d)
	}
	if in.BuilderImage != "" || in.BuilderImageDigest != "" {
		d := Descriptor{Name: "builder-image", Annotations: map[string]any{"role": "builder-image"}}
		if in.BuilderImage != "" {
			d.URI = "oci://" + in.BuilderImage
		}
		if algo, hex, ok := strings.Cut(in.BuilderImageDigest, ":"); ok {
			d.Digest = map[string]string{algo: hex}
		}
		deps = append(deps, d)
	}
	st.Predicate = SLSAPredicate{
		BuildDefinition: BuildDefinition{
			BuildType: BuildType,
			ExternalParameters: map[string]any{
				"package": in.Name, "version": in.UpstreamVersion, "target": in.Target,
				"cves": nonNil(in.CVEs), "flags": params,
			},
			InternalParameters: map[string]any{
				"family": in.Family, "hotfixVersion": in.Version,
				"remedies": nonNil(in.Remedies), "patches": nonNil(in.Patches), "insecure": in.Insecure,
			},
			ResolvedDependencies: deps,
		},
		RunDetails: RunDetails{
			Builder:  BuilderInfo{ID: BuilderID, Version: map[string]string{"backport": in.ToolVersion}},
			Metadata: BuildMetadata{InvocationID: bundle, FinishedOn: in.BuildTime.UTC().Format(time.RFC3339)},
		},
	}
	return st
}
