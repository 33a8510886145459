package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/structpb"
)

// exitCodeUserActionable is the exit code @pulumi/pulumi's cmd/run uses after
// it has already shown the user an actionable error; the engine must not add
// another message on top ("bail").
const exitCodeUserActionable = 32

// runOptions are the nodejs runtime options of Pulumi.yaml
// (runtime.options.typescript, tsconfig, nodeargs).
type runOptions struct {
	typescript bool
	tsconfig   string
	nodeargs   []string
}

func parseRunOptions(opts *structpb.Struct) runOptions {
	ro := runOptions{typescript: true}
	if opts == nil {
		return ro
	}
	fields := opts.GetFields()
	if v, ok := fields["typescript"]; ok {
		ro.typescript = v.GetBoolValue()
	}
	if v, ok := fields["tsconfig"]; ok {
		ro.tsconfig = v.GetStringValue()
	}
	if v, ok := fields["nodeargs"]; ok {
		ro.nodeargs = strings.Fields(v.GetStringValue())
	}
	return ro
}

// Run executes the program with @pulumi/pulumi's cmd/run, resolved from the
// program's own node_modules so the SDK version is the one the program uses.
func (h *nodeHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	programDir := req.GetPwd()
	entryPoint := req.GetProgram()
	rootDir := programDir
	if info != nil {
		programDir = info.GetProgramDirectory()
		entryPoint = info.GetEntryPoint()
		rootDir = info.GetRootDirectory()
	}
	if entryPoint == "" {
		entryPoint = "."
	}
	opts := parseRunOptions(info.GetOptions())

	runPath, err := resolveModule(ctx, programDir, "@pulumi/pulumi/cmd/run")
	if err != nil {
		return nil, err
	}
	env, err := programEnv(req, opts, programDir)
	if err != nil {
		return nil, err
	}

	args := append([]string{}, opts.nodeargs...)
	args = append(args, runPath)
	args = append(args, runFlags(req, h.engineAddress, h.tracing, rootDir)...)
	args = append(args, entryPoint)
	args = append(args, req.GetArgs()...)

	cmd := exec.Command("node", args...)
	cmd.Dir = programDir
	cmd.Env = env
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	if err := h.track(cmd); err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	defer h.untrack(cmd)

	return runResponse(cmd.Run()), nil
}

func runFlags(req *pulumirpc.RunRequest, engineAddress, tracing, rootDir string) []string {
	flags := []string{"--monitor=" + req.GetMonitorAddress()}
	add := func(name, value string) {
		if value != "" {
			flags = append(flags, "--"+name+"="+value)
		}
	}
	add("engine", engineAddress)
	add("organization", req.GetOrganization())
	add("project", req.GetProject())
	add("stack", req.GetStack())
	add("pwd", req.GetPwd())
	add("root-directory", rootDir)
	add("tracing", tracing)
	if req.GetParallel() > 1 {
		add("parallel", strconv.Itoa(int(req.GetParallel())))
	}
	if req.GetDryRun() {
		flags = append(flags, "--dry-run")
	}
	return flags
}

// programEnv passes config the way @pulumi/pulumi reads it: PULUMI_CONFIG is
// a JSON object of "project:key" to string value, PULUMI_CONFIG_SECRET_KEYS a
// JSON array of the keys that are secrets.
func programEnv(req *pulumirpc.RunRequest, opts runOptions, programDir string) ([]string, error) {
	config := req.GetConfig()
	if config == nil {
		config = map[string]string{}
	}
	configJSON, err := json.Marshal(config)
	if err != nil {
		return nil, fmt.Errorf("encoding config: %w", err)
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secretJSON, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, fmt.Errorf("encoding secret config keys: %w", err)
	}
	env := append(os.Environ(),
		"PULUMI_CONFIG="+string(configJSON),
		"PULUMI_CONFIG_SECRET_KEYS="+string(secretJSON),
		"PULUMI_NODEJS_TYPESCRIPT="+strconv.FormatBool(opts.typescript),
	)
	if opts.tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+filepath.Join(programDir, opts.tsconfig))
	}
	return env, nil
}

func runResponse(err error) *pulumirpc.RunResponse {
	if err == nil {
		return &pulumirpc.RunResponse{}
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		code := exitErr.ExitCode()
		if code == exitCodeUserActionable {
			return &pulumirpc.RunResponse{Bail: true}
		}
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", code)}
	}
	return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not run the Node.js program: %v", err)}
}

// resolveModule asks node itself to resolve a module from dir, so hoisted and
// workspace layouts of node_modules work the same as they do for the program.
func resolveModule(ctx context.Context, dir, module string) (string, error) {
	cmd := exec.CommandContext(ctx, "node", "-e", "process.stdout.write(require.resolve(process.argv[1]))", module)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf(
			"could not find %s from %s (has npm install run?): %v", module, dir, err)
	}
	return strings.TrimSpace(string(out)), nil
}
