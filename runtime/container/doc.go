// Package container runs Linux containers with the runtime's own code: a
// detached monitor per container in the host's namespaces and an init as
// PID 1 inside. Networking and name resolution come in through Hooks.
package container
