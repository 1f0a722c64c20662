using Microsoft.CodeAnalysis.CSharp;
using PinAnalyzers.CodeFixes;
using Xunit;
using Verify = PinAnalyzers.Tests.Verifiers.LeaseCodeFixVerifier<PinAnalyzers.LeaseAnalyzer, PinAnalyzers.CodeFixes.DisposeWithUsingCodeFix>;

namespace PinAnalyzers.Tests;

/// <summary>PIN5003 "Dispose with using": a scope kept in a local is closed by a <c>using</c> (a ref struct: pattern-based, C# 8).</summary>
public sealed class PIN5003DisposeWithUsingCodeFixTests
{
    private const string Key = DisposeWithUsingCodeFix.ScopeEquivalenceKey;

    [Fact]
    public Task NeverDisposed_BecomesAUsingDeclaration()
        => Verify.VerifyFixAsync("""
            using System.Runtime.InteropServices;
            using PinAnalyzers.Leases;

            static class Native
            {
                [DllImport("libc")] private static extern nint write(int fd, nint buffer, nint count);

                public static void Send(int fd, PinLease<byte> lease)
                {
                    var scope = {|PIN5003:lease.Enter()|};
                    write(fd, scope.Address, scope.Length);
                }
            }
            """, """
            using System.Runtime.InteropServices;
            using PinAnalyzers.Leases;

            static class Native
            {
                [DllImport("libc")] private static extern nint write(int fd, nint buffer, nint count);

                public static void Send(int fd, PinLease<byte> lease)
                {
                    using var scope = lease.Enter();
                    write(fd, scope.Address, scope.Length);
                }
            }
            """, Key);

    [Fact]
    public Task DisposeAfterAThrowingCall_UsingStatement()
        => Verify.VerifyFixAsync("""
            using System;
            using System.IO;
            using PinAnalyzers.Leases;

            static class Copier
            {
                public static void Copy(Stream destination, MappedViewLease log)
                {
                    var scope = {|PIN5003:log.Enter()|};
                    destination.Write(scope.Span);
                    scope.Dispose();

                    Console.WriteLine("copied");
                }
            }
            """, """
            using System;
            using System.IO;
            using PinAnalyzers.Leases;

            static class Copier
            {
                public static void Copy(Stream destination, MappedViewLease log)
                {
                    using (var scope = log.Enter())
                    {
                        destination.Write(scope.Span);
                    }

                    Console.WriteLine("copied");
                }
            }
            """, Key);

    [Fact]
    public Task CSharp7_3_TryFinally_NoPatternUsing()
        => Verify.VerifyFixAsync("""
            using System.IO;
            using PinAnalyzers.Leases;

            static class Copier
            {
                public static void Copy(Stream destination, PinLease<byte> lease, byte[] trailer)
                {
                    var scope = {|PIN5003:lease.Enter()|};
                    destination.Write(trailer, 0, scope.Length);
                }
            }
            """, """
            using System.IO;
            using PinAnalyzers.Leases;

            static class Copier
            {
                public static void Copy(Stream destination, PinLease<byte> lease, byte[] trailer)
                {
                    var scope = lease.Enter();
                    try
                    {
                        destination.Write(trailer, 0, scope.Length);
                    }
                    finally
                    {
                        scope.Dispose();
                    }
                }
            }
            """, Key, LanguageVersion.CSharp7_3);

    [Fact]
    public Task EarlyReturnSkipsDispose_TryFinally()
        => Verify.VerifyFixAsync("""
            using PinAnalyzers.Leases;

            static class Parser
            {
                public static int Version(PinLease<byte> lease, byte[] header)
                {
                    var scope = {|PIN5003:lease.Enter()|};
                    if (header.Length == 0)
                    {
                        scope.Dispose();
                        return -1;
                    }

                    return scope.Span[0];
                }
            }
            """, """
            using PinAnalyzers.Leases;

            static class Parser
            {
                public static int Version(PinLease<byte> lease, byte[] header)
                {
                    var scope = lease.Enter();
                    try
                    {
                        if (header.Length == 0)
                        {
                            scope.Dispose();
                            return -1;
                        }

                        return scope.Span[0];
                    }
                    finally
                    {
                        scope.Dispose();
                    }
                }
            }
            """, Key);

    [Fact]
    public Task FixAll_TwoScopes()
        => Verify.VerifyFixAllAsync("""
            using System.IO;
            using PinAnalyzers.Leases;

            static class Copier
            {
                public static void Copy(Stream destination, PinLease<byte> header, PinLease<byte> body)
                {
                    var first = {|PIN5003:header.Enter()|};
                    var second = {|PIN5003:body.Enter()|};
                    destination.Write(first.Span);
                    destination.Write(second.Span);
                }
            }
            """, """
            using System.IO;
            using PinAnalyzers.Leases;

            static class Copier
            {
                public static void Copy(Stream destination, PinLease<byte> header, PinLease<byte> body)
                {
                    using var first = header.Enter();
                    using var second = body.Enter();
                    destination.Write(first.Span);
                    destination.Write(second.Span);
                }
            }
            """, Key, iterations: 2);

    [Fact]
    public Task TryEnterOut_NoFix()
        => Verify.VerifyNoFixAsync("""
            using System.Runtime.InteropServices;
            using PinAnalyzers.Leases;

            static class Native
            {
                [DllImport("libc")] private static extern nint write(int fd, nint buffer, nint count);

                public static bool Send(int fd, PinLease<byte> lease)
                {
                    if ({|PIN5003:lease.TryEnter(out var scope)|})
                    {
                        write(fd, scope.Address, scope.Length);
                        return true;
                    }

                    return false;
                }
            }
            """);

    [Fact]
    public Task DiscardedScope_NoFix()
        => Verify.VerifyNoFixAsync("""
            using PinAnalyzers.Leases;

            static class Keeper
            {
                public static void Hold(PinLease<byte> lease)
                {
                    {|PIN5003:lease.Enter()|};
                }
            }
            """);

    [Fact]
    public Task ScopeInALabelledBlock_NoFix()
        => Verify.VerifyNoFixAsync("""
            using System.IO;
            using PinAnalyzers.Leases;

            static class Copier
            {
                public static void Copy(Stream destination, PinLease<byte> lease, int times)
                {
                    var scope = {|PIN5003:lease.Enter()|};
                again:
                    destination.Write(scope.Span);
                    if (--times > 0)
                    {
                        goto again;
                    }
                }
            }
            """);
}
