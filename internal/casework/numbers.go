package casework

import (
	"context"
	"fmt"
	"sync"
	"time"

	"yiwang/internal/calendar"
	"yiwang/internal/db"
)

// Case numbers (办件编号) are readable and sort by region and day: the
// 6-digit county part of the item's region, the date of submission in
// Beijing time, and a sequence for that region and day —
// 330122 20261201 00001. Each process reserves numbers in blocks (one
// short transaction per block), so submissions never queue on the counter
// row; a block a process did not use up before stopping leaves a gap.

const numberBlock = 20

type numberer struct {
	mu     sync.Mutex
	blocks map[string]*[2]int64 // prefix → next, last
}

// nextCaseNo returns a new case number for a case of region submitted at.
func (s *Service) nextCaseNo(ctx context.Context, region string, at time.Time) (string, error) {
	prefix := region[:6] + calendar.DateOf(at).Time().Format("20060102")
	n, err := s.numbers.next(ctx, s.DB, prefix)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s%05d", prefix, n), nil
}

func (nb *numberer) next(ctx context.Context, d *db.DB, prefix string) (int64, error) {
	nb.mu.Lock()
	defer nb.mu.Unlock()
	if b := nb.blocks[prefix]; b != nil && b[0] <= b[1] {
		n := b[0]
		b[0]++
		return n, nil
	}
	var last int64
	err := d.InTx(ctx, func(tx *db.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO case_counters (prefix, last) VALUES (?, ?)
			ON CONFLICT (prefix) DO UPDATE SET last = case_counters.last + ? RETURNING last`, prefix, numberBlock, numberBlock).Scan(&last)
	})
	if err != nil {
		return 0, fmt.Errorf("case number block: %w", err)
	}
	if nb.blocks == nil || len(nb.blocks) > 1000 { // old days and regions: forget them
		nb.blocks = map[string]*[2]int64{}
	}
	first := last - numberBlock + 1
	nb.blocks[prefix] = &[2]int64{first + 1, last}
	return first, nil
}
