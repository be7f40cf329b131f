//go:build !linux

package bundle

func exchange(a, b string) error { return errExchangeUnsupported }
