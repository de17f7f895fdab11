// Package spec loads stack files (the Compose Specification): discovery,
// YAML with anchors, merge keys and extension fields, interpolation, .env
// and env_file parsing, extends, include, profiles, merge of several files,
// validation with file:line:col positions, and the normalized output printed
// by `stack config`. It knows nothing about the kernel.
package spec
