package httpstep

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"
)

// benchOrderCount is the length of BenchmarkRows' array (about 12 MB).
const benchOrderCount = 100_000

// benchOrders is the BenchmarkRows body, built once.
var benchOrders = sync.OnceValue(func() []byte { return ordersJSON(benchOrderCount) })

// ordersJSON returns a JSON array of n order objects, the same for the same
// n: eight fields, one a nested object and one a string with escapes.
func ordersJSON(n int) []byte {
	statuses := []string{"paid", "open", "refunded", "void"}
	names := []string{`Ann \"A\"`, `Bo`, `Zoë`, `D\\E \u00e9`}
	b := make([]byte, 0, n*112)
	b = append(b, '[')
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		b = fmt.Appendf(b, `{"id":%d,"status":"%s","total":%d.%02d,"qty":%d,`+
			`"customer":{"id":%d,"name":"%s"},"note":"n\t%d","paid":%t}`,
			100000+i, statuses[i%4], i%997, i%100, i%9+1, i%5003, names[i%len(names)], i%7, i%4 == 0)
	}
	return append(b, ']')
}

// orderTally is what a benchmark reads from the rows, so that all three
// readers can be checked against one another.
type orderTally struct {
	rows, idSum, paid, nameBytes int
}

func (t *orderTally) add(id int, status, name string) {
	t.rows++
	t.idSum += id
	if status == "paid" {
		t.paid++
	}
	t.nameBytes += len(name)
}

// tallyGJSON reads id, status and customer.name from one row.
func (t *orderTally) addRow(row gjson.Result) {
	t.add(int(row.Get("id").Int()), row.Get("status").String(), row.Get("customer.name").String())
}

func tallyEachRow(body []byte) (orderTally, error) {
	var t orderTally
	err := eachRow(body, "", 0, func(_ int, row gjson.Result) bool {
		t.addRow(row)
		return true
	})
	return t, err
}

func tallyRowsAt(body []byte) (orderTally, error) {
	var t orderTally
	rows, err := rowsAt(body, "", 0)
	for _, row := range rows {
		t.addRow(row)
	}
	return t, err
}

func tallyEncodingJSON(body []byte) (orderTally, error) {
	var t orderTally
	var rows []map[string]any
	if err := json.Unmarshal(body, &rows); err != nil {
		return t, err
	}
	for _, row := range rows {
		id, _ := row["id"].(float64)
		status, _ := row["status"].(string)
		customer, _ := row["customer"].(map[string]any)
		name, _ := customer["name"].(string)
		t.add(int(id), status, name)
	}
	return t, nil
}

var rowReaders = []struct {
	name  string
	tally func([]byte) (orderTally, error)
}{
	{"gjson", tallyEachRow},
	{"rows", tallyRowsAt},
	{"encoding_json", tallyEncodingJSON},
}

// TestRowReadersAgree keeps the benchmark honest: every reader must see the
// same rows and values.
func TestRowReadersAgree(t *testing.T) {
	body := ordersJSON(1000)
	require.True(t, json.Valid(body))
	want, err := tallyEncodingJSON(body)
	require.NoError(t, err)
	assert.Equal(t, 1000, want.rows)
	assert.Equal(t, 250, want.paid)
	for _, r := range rowReaders {
		got, err := r.tally(body)
		require.NoError(t, err, r.name)
		assert.Equal(t, want, got, r.name)
	}
}

// BenchmarkRows walks a 100,000-element array of orders, reading three fields
// of each, with eachRow (gjson), rowsAt (rows) and encoding/json into
// []map[string]any (encoding_json). Besides time it reports cpu-ns/op, the
// process's CPU time per walk (garbage collection included), which stays
// comparable when other work shares the machine.
func BenchmarkRows(b *testing.B) {
	body := benchOrders()
	for _, r := range rowReaders {
		b.Run(r.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			cpu0, ok0 := cpuTime()
			for b.Loop() {
				t, err := r.tally(body)
				if err != nil || t.rows != benchOrderCount {
					b.Fatalf("%d rows, %v", t.rows, err)
				}
			}
			if cpu1, ok1 := cpuTime(); ok0 && ok1 {
				b.ReportMetric(float64(cpu1-cpu0)/float64(b.N), "cpu-ns/op")
			}
		})
	}
}

// cpuTime returns the user and system CPU time the process has used, from
// /proc/self/stat in 10 ms ticks; ok is false where there is no such file.
func cpuTime() (d time.Duration, ok bool) {
	stat, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0, false
	}
	// The fields after the command name, which is in parentheses: the
	// 14th and 15th of the file are utime and stime.
	f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	if len(f) < 13 {
		return 0, false
	}
	user, err1 := strconv.ParseInt(f[11], 10, 64)
	sys, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(user+sys) * (time.Second / 100), true
}

// BenchmarkRowsScalars: Rows("") on an array of zeros, the element count
// doubled twice: up to 200,000 elements the rows are made (80 bytes each,
// under Rows' 16 MiB bound), from 1,000,000 up Rows refuses the array,
// which costs one pass over the body. Linear growth shows as about twice
// the time and the bytes per step.
func BenchmarkRowsScalars(b *testing.B) {
	for _, n := range append(growthSizes(50_000), growthSizes(1_000_000)...) {
		b.Run(fmt.Sprintf("elements=%d", n), func(b *testing.B) {
			body := []byte("[" + strings.Repeat("0,", n-1) + "0]")
			res := answered(b, body, nil)
			refused := n > 200_000
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				rows, err := res.Rows("")
				if refused != (err != nil) || (!refused && len(rows) != n) {
					b.Fatal(len(rows), err)
				}
			}
		})
	}
}
