package spec

// suggest returns the valid key nearest to key, or "" when none is close
// enough to be a plausible typo.
func suggest(key string, names []string) string {
	limit := 1
	if len(key) >= 4 {
		limit = 2
	}
	if len(key) >= 8 {
		limit = 3
	}
	best, bestDist := "", limit+1
	for _, name := range names {
		d := editDistance(key, name)
		if d < bestDist || d == bestDist && name < best {
			best, bestDist = name, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance counting an adjacent
// transposition as one edit, so that "imgae" is one edit from "image".
func editDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
