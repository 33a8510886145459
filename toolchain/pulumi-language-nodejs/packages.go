package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// packageJSON is the part of a package.json this host reads.
type packageJSON struct {
	Name         string            `json:"name"`
	Version      string            `json:"version"`
	Dependencies map[string]string `json:"dependencies"`
	Pulumi       struct {
		Resource bool   `json:"resource"`
		Name     string `json:"name"`
		Version  string `json:"version"`
		Server   string `json:"server"`
	} `json:"pulumi"`
}

func readPackageJSON(path string) (*packageJSON, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var pkg packageJSON
	if err := json.Unmarshal(raw, &pkg); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", path, err)
	}
	return &pkg, nil
}

// installedPackage finds name in the node_modules folders from dir upwards,
// the way node's resolution does.
func installedPackage(dir, name string) (*packageJSON, error) {
	for d := dir; ; d = filepath.Dir(d) {
		pkg, err := readPackageJSON(filepath.Join(d, "node_modules", name, "package.json"))
		if err == nil {
			return pkg, nil
		}
		if filepath.Dir(d) == d {
			return nil, fmt.Errorf("package %s is not installed under %s (has npm install run?)", name, dir)
		}
	}
}

// nearestPackageJSON finds the package.json that owns dir: Pulumi.yaml's
// `main` may point into a subfolder (dist/) that has none of its own.
func nearestPackageJSON(dir string) (*packageJSON, string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		path := filepath.Join(d, "package.json")
		if _, err := os.Stat(path); err == nil {
			pkg, err := readPackageJSON(path)
			return pkg, d, err
		}
		if filepath.Dir(d) == d {
			return nil, "", fmt.Errorf("no package.json in %s or above it", dir)
		}
	}
}

// programDependencies lists the program's direct dependencies with the
// versions installed, sorted by name.
func programDependencies(programDir string) ([]*packageJSON, error) {
	root, packageDir, err := nearestPackageJSON(programDir)
	if err != nil {
		return nil, fmt.Errorf("reading the program's package.json: %w", err)
	}
	names := make([]string, 0, len(root.Dependencies))
	for name := range root.Dependencies {
		names = append(names, name)
	}
	sort.Strings(names)
	deps := make([]*packageJSON, 0, len(names))
	for _, name := range names {
		pkg, err := installedPackage(packageDir, name)
		if err != nil {
			return nil, err
		}
		deps = append(deps, pkg)
	}
	return deps, nil
}

// resourcePlugin reports the provider plugin a Pulumi package needs, if any.
func resourcePlugin(pkg *packageJSON) (name, version, server string, ok bool) {
	if !pkg.Pulumi.Resource {
		return "", "", "", false
	}
	name = pkg.Pulumi.Name
	if name == "" {
		name = strings.TrimPrefix(strings.TrimPrefix(pkg.Name, "@pulumi/"), "@")
	}
	version = pkg.Pulumi.Version
	if version == "" {
		version = pkg.Version
	}
	if !strings.HasPrefix(version, "v") {
		version = "v" + version
	}
	return name, version, pkg.Pulumi.Server, true
}

func programDirOf(info *pulumirpc.ProgramInfo, pwd string) string {
	if info != nil && info.GetProgramDirectory() != "" {
		return info.GetProgramDirectory()
	}
	return pwd
}

func (h *nodeHost) GetRequiredPackages(
	_ context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	deps, err := programDependencies(programDirOf(req.GetInfo(), ""))
	if err != nil {
		return nil, err
	}
	resp := &pulumirpc.GetRequiredPackagesResponse{}
	for _, dep := range deps {
		if name, version, server, ok := resourcePlugin(dep); ok {
			resp.Packages = append(resp.Packages, &pulumirpc.PackageDependency{
				Name: name, Kind: "resource", Version: version, Server: server,
			})
		}
	}
	return resp, nil
}

func (h *nodeHost) GetRequiredPlugins(
	_ context.Context, req *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	deps, err := programDependencies(programDirOf(req.GetInfo(), req.GetPwd()))
	if err != nil {
		return nil, err
	}
	resp := &pulumirpc.GetRequiredPluginsResponse{}
	for _, dep := range deps {
		if name, version, server, ok := resourcePlugin(dep); ok {
			resp.Plugins = append(resp.Plugins, &pulumirpc.PluginDependency{
				Name: name, Kind: "resource", Version: version, Server: server,
			})
		}
	}
	return resp, nil
}

func (h *nodeHost) GetProgramDependencies(
	_ context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	deps, err := programDependencies(programDirOf(req.GetInfo(), req.GetPwd()))
	if err != nil {
		return nil, err
	}
	resp := &pulumirpc.GetProgramDependenciesResponse{}
	for _, dep := range deps {
		resp.Dependencies = append(resp.Dependencies, &pulumirpc.DependencyInfo{Name: dep.Name, Version: dep.Version})
	}
	return resp, nil
}
