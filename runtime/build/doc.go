// Package build executes Dockerfiles the way Docker's classic builder does:
// one image per instruction, each cached under a key made of its parent
// image, the instruction and the build arguments it sees (ADD and COPY by
// the content and metadata of their sources, never by mtime), with the
// first cache miss rebuilding the rest of its stage.
//
// COPY and ADD write their layers directly from the build context as tar
// streams, without a container; RUN steps go to a Runner, which runs them
// in a container of the runtime and turns the changes into a layer.
package build
