using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Verify = PinAnalyzers.Tests.Verifiers.LeaseAnalyzerVerifier<PinAnalyzers.LeaseAnalyzer>;

namespace PinAnalyzers.Tests;

public sealed class PIN5003ScopeNotDisposedTests
{
    [Fact]
    public Task ScopeNeverDisposed()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;
            using PinAnalyzers.Leases;

            static class Native
            {
                [DllImport("libc")] private static extern nint write(int fd, nint buffer, nint count);

                public static void Send(int fd, PinLease<byte> lease)
                {
                    var scope = {|#0:lease.Enter()|};
                    write(fd, scope.Address, scope.Length);
                }
            }
            """,
            Verify.Diagnostic("PIN5003").WithLocation(0).WithArguments("is never disposed"));

    [Fact]
    public Task ScopeDiscarded()
        => Verify.VerifyAsync("""
            using PinAnalyzers.Leases;

            static class Keeper
            {
                public static void Hold(PinLease<byte> lease)
                {
                    {|#0:lease.Enter()|};
                }
            }
            """,
            Verify.Diagnostic("PIN5003").WithLocation(0).WithArguments("is never disposed"));

    [Fact]
    public Task ThrowingCallBetweenEnterAndDispose()
        => Verify.VerifyAsync("""
            using System.IO;
            using PinAnalyzers.Leases;

            static class Copier
            {
                public static void Copy(Stream destination, PinLease<byte> lease)
                {
                    var scope = {|#0:lease.Enter()|};
                    destination.Write(scope.Span);
                    scope.Dispose();
                }
            }
            """,
            Verify.Diagnostic("PIN5003").WithLocation(0).WithArguments("may leak if 'Write' throws"));

    [Fact]
    public Task EarlyReturnSkipsDispose()
        => Verify.VerifyAsync("""
            using PinAnalyzers.Leases;

            static class Parser
            {
                public static int Version(PinLease<byte> lease, byte[] header)
                {
                    var scope = {|#0:lease.Enter()|};
                    if (header.Length == 0)
                    {
                        return -1;
                    }

                    scope.Dispose();
                    return 1;
                }
            }
            """,
            Verify.Diagnostic("PIN5003").WithLocation(0).WithArguments("is not disposed on every path"));

    [Fact]
    public Task DisposedInOneBranchOnly()
        => Verify.VerifyAsync("""
            using PinAnalyzers.Leases;

            static class Parser
            {
                public static void Maybe(PinLease<byte> lease, bool done)
                {
                    var scope = {|#0:lease.Enter()|};
                    if (done)
                    {
                        scope.Dispose();
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN5003").WithLocation(0).WithArguments("is not disposed on every path"));

    [Fact]
    public Task ExplicitThrowBetweenEnterAndDispose()
        => Verify.VerifyAsync("""
            using System;
            using PinAnalyzers.Leases;

            static class Parser
            {
                public static void Check(PinLease<byte> lease, int needed)
                {
                    var scope = {|#0:lease.Enter()|};
                    if (needed < 0)
                    {
                        throw new InvalidOperationException("frame too short");
                    }

                    scope.Dispose();
                }
            }
            """,
            Verify.Diagnostic("PIN5003").WithLocation(0).WithArguments("is not disposed when the method throws"));

    [Fact]
    public Task SuccessfulTryEnterNeverDisposed()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;
            using PinAnalyzers.Leases;

            static class Native
            {
                [DllImport("libc")] private static extern nint write(int fd, nint buffer, nint count);

                public static bool Send(int fd, PinLease<byte> lease)
                {
                    if ({|#0:lease.TryEnter(out var scope)|})
                    {
                        write(fd, scope.Address, scope.Length);
                        return true;
                    }

                    return false;
                }
            }
            """,
            Verify.Diagnostic("PIN5003").WithLocation(0).WithArguments("is never disposed"));

    [Fact]
    public Task MappedViewScopeNeverDisposed()
        => Verify.VerifyAsync("""
            using System.IO;
            using PinAnalyzers.Leases;

            static class LogWriter
            {
                public static void Append(Stream source, MappedViewLease log)
                {
                    var scope = {|#0:log.Enter()|};
                    source.Read(scope.Span);
                }
            }
            """,
            Verify.Diagnostic("PIN5003").WithLocation(0).WithArguments("is never disposed"));

    [Fact]
    public Task CatchThatDoesNotDispose()
        => Verify.VerifyAsync("""
            using System;
            using System.IO;
            using PinAnalyzers.Leases;

            static class Copier
            {
                public static void Copy(Stream destination, PinLease<byte> lease)
                {
                    var scope = {|#0:lease.Enter()|};
                    try
                    {
                        destination.Write(scope.Span);
                        scope.Dispose();
                    }
                    catch (IOException)
                    {
                        Console.WriteLine("write failed");
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN5003").WithLocation(0).WithArguments("is not disposed on every path"));

    [Fact]
    public Task EachIterationEntersAgain()
        => Verify.VerifyAsync("""
            using System.IO;
            using PinAnalyzers.Leases;

            static class Copier
            {
                public static void CopyAll(Stream destination, PinLease<byte> lease, int times)
                {
                    for (var i = 0; i < times; i++)
                    {
                        var scope = {|#0:lease.Enter()|};
                        destination.Write(scope.Span);
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN5003").WithLocation(0).WithArguments("is never disposed: each iteration pins again"));

    // ---- valid code: no PIN5003 ----

    [Fact]
    public Task UsingDeclaration()
        => Verify.VerifyAsync("""
            using System.IO;
            using PinAnalyzers.Leases;

            static class Copier
            {
                public static void Copy(Stream destination, PinLease<byte> lease)
                {
                    using var scope = lease.Enter();
                    destination.Write(scope.Span);
                }
            }
            """);

    [Fact]
    public Task UsingStatementOverMappedViewScope()
        => Verify.VerifyAsync("""
            using System.IO;
            using PinAnalyzers.Leases;

            static class LogWriter
            {
                public static int Append(Stream source, MappedViewLease log)
                {
                    using (var scope = log.Enter())
                    {
                        return source.Read(scope.Span);
                    }
                }
            }
            """);

    [Fact]
    public Task DisposedInFinally()
        => Verify.VerifyAsync("""
            using System.IO;
            using PinAnalyzers.Leases;

            static class Copier
            {
                public static void Copy(Stream destination, PinLease<byte> lease)
                {
                    var scope = lease.Enter();
                    try
                    {
                        destination.Write(scope.Span);
                    }
                    finally
                    {
                        scope.Dispose();
                    }
                }
            }
            """);

    [Fact]
    public Task TryEnterGuardWithUsing()
        => Verify.VerifyAsync("""
            using System.IO;
            using PinAnalyzers.Leases;

            static class Copier
            {
                public static bool Copy(Stream destination, PinLease<byte> lease)
                {
                    if (!lease.TryEnter(out var scope))
                    {
                        // Revoking or disposed: the default scope is closed, there is nothing to dispose.
                        return false;
                    }

                    using (scope)
                    {
                        destination.Write(scope.Span);
                    }

                    return true;
                }
            }
            """);

    [Fact]
    public Task TryEnterGuardWithFinally()
        => Verify.VerifyAsync("""
            using System.IO;
            using PinAnalyzers.Leases;

            static class LogWriter
            {
                public static bool Append(Stream source, MappedViewLease log)
                {
                    if (log.TryEnter(out var scope))
                    {
                        try
                        {
                            source.Read(scope.Span);
                        }
                        finally
                        {
                            scope.Dispose();
                        }

                        return true;
                    }

                    return false;
                }
            }
            """);

    [Fact]
    public Task ScopeReturnedToCaller()
        => Verify.VerifyAsync("""
            using System.IO;
            using PinAnalyzers.Leases;

            sealed class Buffer
            {
                private readonly PinLease<byte> _lease;

                public Buffer(PinLease<byte> lease) => _lease = lease;

                public PinScope<byte> Open() => _lease.Enter();

                public PinScope<byte> OpenChecked()
                {
                    var scope = _lease.Enter();
                    return scope;
                }

                public bool TryOpen(out PinScope<byte> scope) => _lease.TryEnter(out scope);
            }
            """);

    [Fact]
    public Task DisposedOnEveryBranch()
        => Verify.VerifyAsync("""
            using PinAnalyzers.Leases;

            static class Parser
            {
                public static int Version(PinLease<byte> lease, byte[] header)
                {
                    var scope = lease.Enter();
                    if (header.Length == 0)
                    {
                        scope.Dispose();
                        return -1;
                    }

                    scope.Dispose();
                    return 1;
                }
            }
            """);

    [Fact]
    public Task OnlyPInvokeBetweenEnterAndDispose()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;
            using PinAnalyzers.Leases;

            static class Native
            {
                [DllImport("libc")] private static extern nint write(int fd, nint buffer, nint count);

                public static void Send(int fd, PinLease<byte> lease, int count)
                {
                    var scope = lease.Enter();
                    write(fd, scope.Address, count);
                    scope.Dispose();
                }
            }
            """);

    [Fact]
    public Task ScopeLengthDoesNotThrow()
        => Verify.VerifyAsync("""
            using PinAnalyzers.Leases;

            static class Parser
            {
                public static int Version(PinLease<byte> lease)
                {
                    var scope = lease.Enter();
                    if (scope.Length == 0)
                    {
                        scope.Dispose();
                        return -1;
                    }

                    scope.Dispose();
                    return 1;
                }
            }
            """);

    // ---- what the compiler already refuses ----

    [Fact]
    public Task CompilerRefusesScopeAcrossAwait()
        => Verify.VerifyWithEmitErrorsAsync("""
            using System.IO;
            using System.Threading.Tasks;
            using PinAnalyzers.Leases;

            static class Copier
            {
                public static async Task CopyAsync(Stream destination, PinLease<byte> lease)
                {
                    using var {|#0:scope = lease.Enter()|};
                    await destination.FlushAsync();
                    destination.Write({|#1:scope|}.Span);
                }
            }
            """,
            // CS4007 comes from lowering (C# 13 and later allow ref struct locals in async methods, not across an
            // await): the using's hidden Dispose and the later read both need the scope after the await.
            DiagnosticResult.CompilerError("CS4007").WithLocation(0).WithArguments("PinAnalyzers.Leases.PinScope<byte>"),
            DiagnosticResult.CompilerError("CS4007").WithLocation(1).WithArguments("PinAnalyzers.Leases.PinScope<byte>"));

    // ---- broken code ----

    [Fact]
    public Task HalfTypedCodeDoesNotCrash()
        => Verify.VerifyNoCrashAsync("""
            using System.IO;
            using PinAnalyzers.Leases;

            static class Copier
            {
                public static void Copy(Stream destination, PinLease<byte> lease)
                {
                    var scope = lease.Enter(
                    if (lease.TryEnter(out var other)
                    {
                        destination.Write(other.
                    }
                    missing.Enter();
                    using var third = lease.TryEnter(out );
                    scope.Dispose(
                }
            """);

    [Fact]
    public Task ScopeInLambdaNestedInLambdaInLoopWithUsingDoesNotCrash()
        => Verify.VerifyAsync("""
            using System.Linq;
            using System.Threading;
            using PinAnalyzers.Leases;

            static class Workers
            {
                public static void Run()
                {
                    for (int round = 0; round < 2; round++)
                    {
                        using var lease = PinLease<byte>.Acquire(new byte[64]);
                        using var start = new Barrier(3);
                        Thread[] users = Enumerable.Range(0, 2).Select(_ => new Thread(() =>
                        {
                            start.SignalAndWait();
                            while ({|#0:lease.TryEnter(out PinScope<byte> scope)|})
                            {
                                scope.Span[0]++;
                                scope.Dispose();
                            }
                        })).ToArray();
                    }
                }
            }
            """,
            // The span's indexer is a property access, which may throw (DESIGN.md): the scope is not in a using.
            Verify.Diagnostic("PIN5003").WithLocation(0).WithArguments("may leak if 'this[]' throws"));
}
