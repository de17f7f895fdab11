// Package image is the content-addressed image store of the runtime.
//
// On disk, under the --root directory:
//
//	images/            an OCI image layout: oci-layout, index.json, blobs/sha256/<hex>
//	images/tmp/        blobs being written (renamed into blobs/ once verified)
//	snapshots/<hex>/fs one directory per layer ChainID, whiteouts in overlayfs form
//
// index.json holds one manifest descriptor per reference; the reference is
// kept in the "io.containerd.image.name" annotation (the form containerd and
// Docker use in OCI archives) and its tag in "org.opencontainers.image.ref.name".
// A descriptor without a name is a dangling image (what a build leaves behind
// before it is tagged).
//
// Every blob is verified against its digest before it becomes visible, every
// layer against its diff ID before its snapshot becomes visible, and the index
// is rewritten last, atomically: a crash at any point leaves either the old
// image or the new one, never half of it. Writers serialize on a file lock for
// the index only; garbage collection takes the store's lock exclusively so it
// never removes what a concurrent writer has not published yet.
//
// The store returns overlay mount specifications (Mount) instead of mounting,
// so that the caller can mount inside the namespace it wants.
package image
