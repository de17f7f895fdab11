// Package spec loads stack files (the Compose Specification): discovery,
// YAML with anchors, merge keys and extension fields, interpolation, .env
// and env_file parsing, extends, include, profiles, merge of several files,
// validation with file:line:col positions, and the normalized output printed
// by `stack config`. It knows nothing about the kernel.
//
// Load is the entry point. It returns a Project whose Services map is keyed
// by service name (iterate ServiceNames for a stable order), with every
// service in its normalized long form: absolute paths, expanded ports and
// volumes, env_file contents folded into Environment. A file that does not
// validate gives an errors.Join of *Error values in file order, each
// printed as "file:line:col: key.path: what is wrong and what was expected".
//
// The loader works in stages on its own tree (tree.go): parse with yaml.v3
// and expand aliases and merge keys, interpolate each file with its own
// environment, apply include, merge the -f files, resolve extends, decode
// into the model with its yaml tags as the schema (decode.go, syntax.go),
// then normalize and check references (normalize.go, validate.go).
//
// ServiceHash and CanonicalJSON give the config hash the planner compares
// to decide whether a container must be recreated.
package spec
