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
	register("image", "history", newImageHistoryCommand)
}

type imageHistoryOptions struct {
	global  *globalOptions
	ref     string
	noTrunc bool
	quiet   bool
	human   bool
	format  string
	out     io.Writer
}

func newImageHistoryCommand(g *globalOptions) *cobra.Command {
	o := &imageHistoryOptions{global: g}
	cmd := &cobra.Command{
		Use:   "history [OPTIONS] IMAGE",
		Short: "Show the history of an image",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.ref, o.out = args[0], cmd.OutOrStdout()
			return runImageHistory(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.noTrunc, "no-trunc", false, "do not truncate output")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "only image IDs")
	f.BoolVarP(&o.human, "human", "H", true, "print sizes and dates in human readable format")
	f.StringVar(&o.format, "format", "table", "output format: table or json")
	return cmd
}

// historyRow is one step of an image's history, newest first.
type historyRow struct {
	ID        string `json:"ID"`
	CreatedAt string `json:"CreatedAt"`
	CreatedBy string `json:"CreatedBy"`
	Size      int64  `json:"Size"`
	Comment   string `json:"Comment"`
	created   time.Time
}

// historyRows pairs each history entry that made a layer with that layer's
// size; the newest step carries the image ID, older ones "<missing>" as in
// Docker for steps whose intermediate images are not kept.
func historyRows(img *image.Image) []historyRow {
	var rows []historyRow
	layer := 0
	for _, h := range img.Config.History {
		row := historyRow{ID: "<missing>", CreatedAt: h.Created.Time.UTC().Format(time.RFC3339), CreatedBy: h.CreatedBy, Comment: h.Comment, created: h.Created.Time}
		if !h.EmptyLayer && layer < len(img.Layers) {
			row.Size = img.Layers[layer].Size
			layer++
		}
		rows = append([]historyRow{row}, rows...)
	}
	if len(rows) > 0 {
		rows[0].ID = img.ID.String()
	}
	return rows
}

func runImageHistory(_ context.Context, o *imageHistoryOptions) error {
	if err := checkListFormat(o.format); err != nil {
		return err
	}
	store, err := openImageStore(o.global)
	if err != nil {
		return err
	}
	img, err := store.Get(o.ref)
	if err != nil {
		return err
	}
	rows := historyRows(img)
	switch {
	case o.quiet:
		for _, r := range rows {
			fmt.Fprintln(o.out, historyID(r.ID, o.noTrunc))
		}
	case o.format == "json":
		enc := json.NewEncoder(o.out)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	default:
		return printHistory(o, rows)
	}
	return nil
}

func printHistory(o *imageHistoryOptions, rows []historyRow) error {
	now := time.Now()
	w := tabwriter.NewWriter(o.out, 10, 1, 3, ' ', 0)
	fmt.Fprintln(w, "IMAGE\tCREATED\tCREATED BY\tSIZE\tCOMMENT")
	for _, r := range rows {
		created, size := r.CreatedAt, fmt.Sprint(r.Size)
		if o.human {
			created, size = imageSince(r.created, now), imageSize(r.Size)
		}
		by := strings.ReplaceAll(r.CreatedBy, "\t", " ")
		if !o.noTrunc && len(by) > 45 {
			by = by[:44] + "…"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", historyID(r.ID, o.noTrunc), created, by, size, r.Comment)
	}
	return w.Flush()
}

func historyID(id string, noTrunc bool) string {
	if noTrunc || !strings.HasPrefix(id, "sha256:") {
		return id
	}
	return id[7:19]
}
