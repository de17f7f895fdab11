// Package planner reconciles a loaded project with what runs on the host:
// it observes state, computes a plan (a DAG of typed actions, each with its
// cause) without any I/O, and applies the plan through an executor interface
// that cmd/stack implements with the runtime, network and dns packages.
package planner
