// Command cri-cleanup stops and removes every pod sandbox known to a CRI runtime, so that the runtime
// itself tears down CNI (veths, IPAM), network namespaces and mounts the way kubelet would. The harness runs
// it after stopping kubelet and before stopping containerd.
//
// Usage: cri-cleanup unix:///path/to/containerd.sock
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: cri-cleanup unix:///path/to/containerd.sock")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	conn, err := grpc.NewClient(os.Args[1], grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fmt.Fprintf(os.Stderr, "cri-cleanup: cannot connect to %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
	defer conn.Close()
	client := runtime.NewRuntimeServiceClient(conn)
	sandboxes, err := client.ListPodSandbox(ctx, &runtime.ListPodSandboxRequest{})
	if err != nil {
		fmt.Fprintf(os.Stderr, "cri-cleanup: ListPodSandbox: %v\n", err)
		os.Exit(1)
	}
	failed := false
	for _, sandbox := range sandboxes.Items {
		name := sandbox.Metadata.Namespace + "/" + sandbox.Metadata.Name
		if _, err := client.StopPodSandbox(ctx, &runtime.StopPodSandboxRequest{PodSandboxId: sandbox.Id}); err != nil {
			fmt.Fprintf(os.Stderr, "cri-cleanup: stop %s: %v\n", name, err)
			failed = true
			continue
		}
		if _, err := client.RemovePodSandbox(ctx, &runtime.RemovePodSandboxRequest{PodSandboxId: sandbox.Id}); err != nil {
			fmt.Fprintf(os.Stderr, "cri-cleanup: remove %s: %v\n", name, err)
			failed = true
			continue
		}
		fmt.Printf("removed pod sandbox %s\n", name)
	}
	if failed {
		os.Exit(1)
	}
}
