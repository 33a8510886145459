// Command pulumi-language-nodejs is this project's Node.js language host for
// the Pulumi CLI.
//
// The upstream host (module github.com/pulumi/pulumi/sdk/nodejs/cmd/
// pulumi-language-nodejs/v3) is not served by the Go module proxy this project
// builds from, so the toolchain script builds this small host instead. It
// implements the part of the LanguageRuntime protocol that `pulumi preview`,
// `up`, `refresh`, `destroy` and the Automation API use: it runs the program
// with @pulumi/pulumi's own `cmd/run` entry point, exactly as the upstream host
// does, and reports the program's packages and dependencies.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
)

// version is stamped at build time with -ldflags "-X main.version=...".
var version = "0.0.0-unstamped"

func main() {
	// The engine may pass logging and tracing flags before the engine address.
	// The SDK's logging package already registers -v and -logtostderr (glog);
	// the others are accepted so that verbose runs do not break the host.
	tracing := flag.String("tracing", "", "Zipkin-compatible tracing endpoint")
	flag.String("root", "", "project root (accepted, unused)")
	if flag.Lookup("logflow") == nil {
		flag.Bool("logflow", false, "flow logging to plugins (accepted, unused)")
	}
	flag.Parse()

	engineAddress := ""
	if flag.NArg() > 0 {
		engineAddress = flag.Arg(0)
	}

	host := newNodeHost(engineAddress, *tracing)
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: could not start the RPC server: %v\n", err)
		os.Exit(1)
	}

	// The engine reads the port from our first line of stdout.
	fmt.Printf("%d\n", handle.Port)

	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: RPC server stopped: %v\n", err)
		os.Exit(1)
	}
}
