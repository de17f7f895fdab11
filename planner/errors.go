package planner

import "errors"

// Sentinel errors of Compute, checked with errors.Is.
var (
	ErrNoSuchService   = errors.New("no such service")
	ErrExternalMissing = errors.New("declared as external, but could not be found")
	ErrDependencyCycle = errors.New("dependency cycle")
	ErrImageMissing    = errors.New("image not present")
	ErrScale           = errors.New("cannot scale")
)
