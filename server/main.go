// Command server runs Lanes: the GraphQL API over the embedded SQLite
// database by default, or PostgreSQL with LANES_DATABASE_URL.
//
//	go run ./server                 serve (flags or LANES_* environment)
//	go run ./server --demo          serve with a seeded demo tenant
//	go run ./server token -tenant acme -sub alice
//	                                print a member JWT signed with LANES_JWT_SECRET
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/lanes-dev/lanes/sdk"
)

func main() {
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	slog.SetDefault(logger)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	if len(os.Args) > 1 && os.Args[1] == "token" {
		err = runToken(os.Args[2:], os.Stdout)
	} else {
		err = runServer(ctx, os.Args[1:], os.Stdout, logger)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "lanes:", err)
		os.Exit(1)
	}
}

// runServer serves until ctx ends (SIGINT/SIGTERM), then shuts down
// gracefully: no new connections, in-flight requests get the grace period.
func runServer(ctx context.Context, args []string, stdout io.Writer, logger *slog.Logger) error {
	opts, err := parseOptions(args)
	if err != nil {
		return err
	}
	opts.cfg.Logger = logger

	var demo *demoCredentials
	if opts.demo {
		demo = prepareDemo(&opts.cfg)
	}
	lanes, err := sdk.Open(ctx, opts.cfg)
	if err != nil {
		return err
	}
	defer lanes.Close()
	if demo != nil {
		if err := seedDemo(ctx, lanes, demo); err != nil {
			return fmt.Errorf("seed demo: %w", err)
		}
	}

	ln, err := net.Listen("tcp", opts.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           lanes.Handler(),
		ReadHeaderTimeout: 5 * time.Second, // slow senders; the handler bounds bodies
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	addr := ln.Addr().String()
	logger.Info("lanes listening", "addr", addr, "database", lanes.Dialect(), "dev", opts.cfg.Dev)
	if demo != nil {
		demo.print(stdout, addr)
	}

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down", "grace", opts.shutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), opts.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
