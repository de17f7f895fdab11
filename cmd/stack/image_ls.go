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
	register("image", newImageLsCommand)
}

type imageLsOptions struct {
	global  *globalOptions
	repo    string
	quiet   bool
	digests bool
	noTrunc bool
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
	f.BoolP("all", "a", false, "show all images (every image is listed; kept for compatibility)")
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
	if o.format != "table" && o.format != "json" {
		return fmt.Errorf("--format %q: expected table or json", o.format)
	}
	store, err := openImageStore(o.global)
	if err != nil {
		return err
	}
	images, err := store.List()
	if err != nil {
		return err
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
