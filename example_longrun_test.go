package httpstep_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/httpstep/httpstep"
)

// exportAPI is a loopback stand-in for a report generator: POST /exports
// answers 202 with a status URL, the status says "running" once, then
// "succeeded" with the address of the file.
func exportAPI() *httptest.Server {
	var polls atomic.Int32
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/exports":
			w.WriteHeader(http.StatusAccepted)
			fmt.Fprintf(w, `{"statusUrl":"%s/exports/7"}`, srv.URL)
		case "/exports/7":
			if polls.Add(1) == 1 {
				io.WriteString(w, `{"status":"running"}`)
				return
			}
			fmt.Fprintf(w, `{"status":"succeeded","file":"%s/files/7.csv"}`, srv.URL)
		case "/files/7.csv":
			w.Header().Set("Content-Type", "text/csv")
			w.Header().Set("Content-Disposition", `attachment; filename="orders-2026.csv"`)
			io.WriteString(w, "id,total\nA-1,19.9\n")
		}
	}))
	return srv
}

// Start an export, follow its 202 to the end, then download the file it
// made: the body goes to disk, not memory, and the host removes the file.
func ExampleAsync() {
	api := exportAPI()
	defer api.Close()
	client := &httpstep.Client{AllowPrivate: true} // the demo API is on loopback
	defer client.CloseIdleConnections()

	start := &httpstep.NodeConfig{Method: "POST", URL: api.URL + "/exports", Async: &httpstep.Async{
		Interval: httpstep.Duration(100 * time.Millisecond), URLPath: "statusUrl",
		StatusPath: "status", DoneValues: []string{"succeeded"}, FailedValues: []string{"failed"},
	}}
	job, err := client.Execute(context.Background(), start, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(job.Get("status"), "after", len(job.Attempts), "attempts")

	fetch := &httpstep.NodeConfig{URL: "{{job.file}}", Download: true}
	res, err := client.Execute(context.Background(), fetch, httpstep.Values{"job": map[string]any{"file": job.Get("file").String()}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.Remove(res.File.Path)
	content, _ := os.ReadFile(res.File.Path)
	fmt.Println(res.File.Name, res.File.Size, strings.Contains(res.File.Path, "httpstep-"))
	fmt.Print(string(content))
	// Output:
	// succeeded after 3 attempts
	// orders-2026.csv 18 true
	// id,total
	// A-1,19.9
}
