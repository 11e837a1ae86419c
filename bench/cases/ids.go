package main

import (
	"encoding/binary"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"
)

// idsAt makes UUIDv7 ids (RFC 9562) whose timestamp is the instant the
// row was made in the case's history, as the server would have made them
// then: ids sort like their rows' times, as in a real installation.
type idsAt struct{ r *rand.Rand }

func (g idsAt) at(t time.Time) string {
	var u uuid.UUID
	ms := uint64(t.UnixMilli())
	u[0], u[1], u[2], u[3], u[4], u[5] = byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
	binary.BigEndian.PutUint64(u[8:], g.r.Uint64())
	rb := g.r.Uint32()
	u[6] = 0x70 | byte(rb>>8)&0x0f // version 7
	u[7] = byte(rb)
	u[8] = 0x80 | u[8]&0x3f // RFC 4122 variant
	return u.String()
}
