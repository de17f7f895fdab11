// Package runtime is the root of the container runtime: the image store, the
// Dockerfile builder, the registry client and containers (monitor, init,
// mounts, cgroups, security) live in its sub-packages. It imports neither
// spec, planner, network nor dns.
package runtime
