package ui

import "strings"

// diffRow is one row of a side-by-side diff: Op is "same", "del" (only
// on the left), "add" (only on the right), "mod" (both, changed) or "fold"
// (Skipped unchanged lines, not shown).
type diffRow struct {
	Op          string
	Left, Right string
	LNo, RNo    int
	Skipped     int
}

// diffContext is how many unchanged lines stay around a change.
const diffContext = 4

// fold replaces the unchanged lines farther than diffContext from any
// change by one "fold" row per run.
func fold(rows []diffRow) []diffRow {
	near := make([]bool, len(rows))
	for i, r := range rows {
		if r.Op != "same" {
			for j := max(0, i-diffContext); j <= min(len(rows)-1, i+diffContext); j++ {
				near[j] = true
			}
		}
	}
	var out []diffRow
	for i := 0; i < len(rows); i++ {
		if near[i] {
			out = append(out, rows[i])
			continue
		}
		j := i
		for j < len(rows) && !near[j] {
			j++
		}
		out = append(out, diffRow{Op: "fold", Skipped: j - i})
		i = j - 1
	}
	return out
}

// maxDiffCells bounds the LCS table of lineDiff; larger inputs fall back
// to pairing lines by position.
const maxDiffCells = 4 << 20

// lineDiff lines up a and b line by line on their longest common
// subsequence, pairing a run of deletions with the additions that follow
// it as modifications.
func lineDiff(a, b string) []diffRow {
	l, r := strings.Split(a, "\n"), strings.Split(b, "\n")
	n, m := len(l), len(r)
	if n*m > maxDiffCells {
		var rows []diffRow
		for i := 0; i < max(n, m); i++ {
			row := diffRow{Op: "mod"}
			if i < n {
				row.Left, row.LNo = l[i], i+1
			} else {
				row.Op = "add"
			}
			if i < m {
				row.Right, row.RNo = r[i], i+1
			} else {
				row.Op = "del"
			}
			if i < n && i < m && l[i] == r[i] {
				row.Op = "same"
			}
			rows = append(rows, row)
		}
		return rows
	}
	// lcs[i][j] is the LCS length of l[i:] and r[j:].
	lcs := make([][]int32, n+1)
	for i := range lcs {
		lcs[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if l[i] == r[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var rows []diffRow
	var dels, adds []diffRow
	flush := func() {
		k := 0
		for ; k < len(dels) && k < len(adds); k++ {
			rows = append(rows, diffRow{Op: "mod", Left: dels[k].Left, LNo: dels[k].LNo, Right: adds[k].Right, RNo: adds[k].RNo})
		}
		rows = append(rows, dels[k:]...)
		if k < len(adds) {
			rows = append(rows, adds[k:]...)
		}
		dels, adds = dels[:0], adds[:0]
	}
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && l[i] == r[j]:
			flush()
			rows = append(rows, diffRow{Op: "same", Left: l[i], Right: r[j], LNo: i + 1, RNo: j + 1})
			i++
			j++
		case j < m && (i == n || lcs[i][j+1] >= lcs[i+1][j]):
			adds = append(adds, diffRow{Op: "add", Right: r[j], RNo: j + 1})
			j++
		default:
			dels = append(dels, diffRow{Op: "del", Left: l[i], LNo: i + 1})
			i++
		}
	}
	flush()
	return rows
}
