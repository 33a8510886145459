//go:build tools

// Package tools pins the Pulumi CLI's main package so that `go build` in this
// module builds github.com/pulumi/pulumi/pkg/v3/cmd/pulumi at the version in
// go.mod, with go.sum verifying every module it pulls from the proxy.
package tools

import (
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
)
