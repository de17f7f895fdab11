package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"stack/runtime/image"
)

func init() {
	register("image", "ls", newImageLsCommand)
}

type imageLsOptions struct {
	global  *globalOptions
	repo    string
	quiet   bool
	digests bool
	noTrunc bool
	all     bool
	format  string
	out     io.Writer
}

func newImageLsCommand(g *globalOptions) *cobra.Command {
	o := &imageLsOptions{global: g}
	cmd := &cobra.Command{
		Use:     "ls [OPTIONS] [REPOSITORY[:TAG]]",
		Aliases: []string{"list"},
		Short:   "List images",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.repo = args[0]
			}
			o.out = cmd.OutOrStdout()
			return runImageLs(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.quiet, "quiet", "q", false, "only image IDs")
	f.BoolVar(&o.digests, "digests", false, "show digests")
	f.BoolVar(&o.noTrunc, "no-trunc", false, "do not truncate output")
	f.BoolVarP(&o.all, "all", "a", false, "also show intermediate images (untagged build steps of other images)")
	f.StringVar(&o.format, "format", "table", "output format: table or json")
	return cmd
}

// imageRow is one line of the listing: an image under one of its names.
type imageRow struct {
	Repository   string `json:"Repository"`
	Tag          string `json:"Tag"`
	Digest       string `json:"Digest"`
	ID           string `json:"ID"`
	CreatedAt    string `json:"CreatedAt"`
	CreatedSince string `json:"CreatedSince"`
	Size         string `json:"Size"`
	SizeBytes    int64  `json:"SizeBytes"`
}

func runImageLs(_ context.Context, o *imageLsOptions) error {
	if err := checkListFormat(o.format); err != nil {
		return err
	}
	store, err := openImageStore(o.global)
	if err != nil {
		return err
	}
	images, err := store.List()
	if err != nil {
		return err
	}
	if !o.all {
		images = withoutIntermediates(images)
	}
	rows, err := imageRows(images, o.repo, o.noTrunc, time.Now())
	if err != nil {
		return err
	}
	switch {
	case o.quiet:
		for _, r := range rows {
			fmt.Fprintln(o.out, r.ID)
		}
	case o.format == "json":
		enc := json.NewEncoder(o.out)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	default:
		return printImageTable(o.out, rows, o.digests)
	}
	return nil
}

// imageRows lists each image once per name (once as <none> when it has
// none), newest first, keeping those whose repository (and tag) match filter.
func imageRows(images []*image.Image, filter string, noTrunc bool, now time.Time) ([]imageRow, error) {
	var wantRepo, wantTag string
	if filter != "" {
		canonical, err := image.Normalize(filter)
		if err != nil {
			return nil, err
		}
		wantRepo, wantTag = image.Familiar(canonical)
		if !strings.Contains(filter[strings.LastIndex(filter, "/")+1:], ":") {
			wantTag = "" // no tag asked: every tag of the repository
		}
	}
	rows := []imageRow{}
	for _, img := range images {
		refs := img.Refs
		if len(refs) == 0 {
			refs = []string{""}
		}
		for _, ref := range refs {
			row := imageRow{
				Repository: "<none>", Tag: "<none>", Digest: img.ManifestDigest.String(),
				ID: shortImageID(img.ID, noTrunc), CreatedAt: img.Created.Format("2006-01-02 15:04:05 -0700 MST"),
				CreatedSince: imageSince(img.Created, now), Size: imageSize(img.Size), SizeBytes: img.Size,
			}
			if ref != "" {
				row.Repository, row.Tag = image.Familiar(ref)
			}
			if filter != "" && (row.Repository != wantRepo || (wantTag != "" && row.Tag != wantTag)) {
				continue
			}
			rows = append(rows, row)
		}
	}
	return rows, nil
}

func printImageTable(out io.Writer, rows []imageRow, digests bool) error {
	w := tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)
	if digests {
		fmt.Fprintln(w, "REPOSITORY\tTAG\tDIGEST\tIMAGE ID\tCREATED\tSIZE")
	} else {
		fmt.Fprintln(w, "REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE")
	}
	for _, r := range rows {
		if digests {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Repository, r.Tag, r.Digest, r.ID, r.CreatedSince, r.Size)
		} else {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", r.Repository, r.Tag, r.ID, r.CreatedSince, r.Size)
		}
	}
	return w.Flush()
}

// withoutIntermediates leaves out the untagged images that are build steps
// of another image, as `docker image ls` does without -a: their history and
// layers begin the other image's. Untagged images that nothing builds on
// (dangling ones) stay.
func withoutIntermediates(images []*image.Image) []*image.Image {
	var out []*image.Image
	for _, img := range images {
		if len(img.Refs) > 0 || !buildsOn(images, img) {
			out = append(out, img)
		}
	}
	return out
}

// buildsOn reports whether some other image extends parent.
func buildsOn(images []*image.Image, parent *image.Image) bool {
	if parent.Config == nil {
		return false
	}
	for _, child := range images {
		if child.ID == parent.ID || child.Config == nil || !extends(child, parent) {
			continue
		}
		return true
	}
	return false
}

// extends reports whether child's history and layers start with parent's
// and go further.
func extends(child, parent *image.Image) bool {
	ch, ph := child.Config.History, parent.Config.History
	if len(ch) <= len(ph) || len(child.DiffIDs) < len(parent.DiffIDs) || len(ph) == 0 {
		return false
	}
	for i := range ph {
		if ch[i].CreatedBy != ph[i].CreatedBy || ch[i].EmptyLayer != ph[i].EmptyLayer {
			return false
		}
	}
	for i := range parent.DiffIDs {
		if child.DiffIDs[i] != parent.DiffIDs[i] {
			return false
		}
	}
	return true
}
