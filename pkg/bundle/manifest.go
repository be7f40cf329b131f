package bundle

import (
	"slices"
	"strings"
	"time"
)

// Schema names the manifest format; it changes only with an incompatible
// change (fields are added without a new name). See SCHEMA.md.
const Schema = "backport.bundle/v1"

// Manifest is manifest.json: what the bundle holds and how it was made.
// Field names and meanings are documented in SCHEMA.md.
type Manifest struct {
	Schema          string            `json:"schema"`
	Bundle          string            `json:"bundle"` // the directory and tarball name, e.g. hello-2.10-3+bp1.debian-12
	Name            string            `json:"name"`
	UpstreamVersion string            `json:"upstream_version"`
	Version         string            `json:"version"`
	Release         string            `json:"release,omitempty"`
	Target          string            `json:"target"`
	Family          string            `json:"family"`
	CVEs            []string          `json:"cves"`
	Packages        []Package         `json:"packages"`
	Files           []File            `json:"files"`
	Sources         []Source          `json:"sources"`
	Builder         Builder           `json:"builder"`
	Parameters      map[string]string `json:"parameters"`
	Remedies        []Remedy          `json:"remedies"`
	Patches         []PatchFate       `json:"patches"`
	Install         InstallPlan       `json:"install"`
	Insecure        bool              `json:"insecure"`
	InsecureNote    string            `json:"insecure_note,omitempty"`
	Signature       *SignatureInfo    `json:"signature"`
	ToolVersion     string            `json:"tool_version"`
	BuildTime       string            `json:"build_time"` // RFC 3339, UTC
}

// File is one file of the bundle with its digest.
type File struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// Builder is the container image the packages were built in.
type Builder struct {
	Image  string `json:"image"`
	Digest string `json:"digest"`
}

// InstallPlan is what install.sh does after installing: the recipe's
// services and health check.
type InstallPlan struct {
	Services           []string `json:"services"`
	HealthCheck        string   `json:"health_check"`
	HealthRetries      int      `json:"health_retries"`
	HealthDelaySeconds int      `json:"health_delay_seconds"`
}

// SignatureInfo names the key that signed SHA256SUMS; nil: unsigned. The
// key itself is never in the bundle.
type SignatureInfo struct {
	File        string `json:"file"` // SHA256SUMS.asc
	Fingerprint string `json:"fingerprint"`
}

// Defaults of the health check when the recipe gives none.
const (
	defaultHealthRetries = 5
	defaultHealthDelay   = 2
)

// buildManifest assembles the manifest from the input and the digests of
// the files already written.
func buildManifest(in Input, bundle string, pkgs []Package, files []File, fingerprint string) *Manifest {
	m := &Manifest{
		Schema: Schema, Bundle: bundle, Name: in.Name,
		UpstreamVersion: in.UpstreamVersion, Version: in.Version, Release: in.Release,
		Target: in.Target, Family: in.Family,
		CVEs:       nonNil(in.CVEs),
		Packages:   pkgs,
		Files:      files,
		Sources:    nonNil(in.Sources),
		Builder:    Builder{Image: in.BuilderImage, Digest: in.BuilderImageDigest},
		Parameters: in.Parameters,
		Remedies:   nonNil(in.Remedies),
		Patches:    nonNil(in.Patches),
		Install: InstallPlan{
			Services: nonNil(in.Services), HealthCheck: in.HealthCheck,
			HealthRetries: healthRetries(in), HealthDelaySeconds: healthDelay(in),
		},
		Insecure:    in.Insecure || len(unverified(in.Sources)) > 0,
		ToolVersion: in.ToolVersion,
		BuildTime:   in.BuildTime.UTC().Format(time.RFC3339),
	}
	if m.Parameters == nil {
		m.Parameters = map[string]string{}
	}
	for i := range m.Remedies {
		m.Remedies[i].Files = nonNil(m.Remedies[i].Files)
	}
	if m.Insecure {
		note := "UNVERIFIED INPUT: this bundle was built with --insecure"
		if names := unverified(in.Sources); len(names) > 0 {
			note += "; not verified: " + strings.Join(names, ", ")
		}
		m.InsecureNote = note
	}
	if fingerprint != "" {
		m.Signature = &SignatureInfo{File: "SHA256SUMS.asc", Fingerprint: fingerprint}
	}
	return m
}

// unverified names the sources that no check vouched for.
func unverified(srcs []Source) []string {
	var names []string
	for _, s := range srcs {
		switch strings.ToLower(s.VerifiedBy) {
		case "", "none", "insecure", "unverified":
			names = append(names, s.Name)
		}
	}
	slices.Sort(names)
	return names
}

func healthRetries(in Input) int {
	if in.HealthRetries > 0 {
		return in.HealthRetries
	}
	return defaultHealthRetries
}

func healthDelay(in Input) int {
	if in.HealthDelaySeconds > 0 {
		return in.HealthDelaySeconds
	}
	return defaultHealthDelay
}

// nonNil makes empty lists [] rather than null in the JSON, so that
// consumers can iterate without a check.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
