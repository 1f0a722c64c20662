using Microsoft.CodeAnalysis.CSharp;
using PinAnalyzers.CodeFixes;
using Xunit;
using Verify = PinAnalyzers.Tests.Verifiers.LeaseCodeFixVerifier<PinAnalyzers.LeaseAnalyzer, PinAnalyzers.CodeFixes.DisposeWithUsingCodeFix>;

namespace PinAnalyzers.Tests;

/// <summary>PIN5001 "Dispose with using": a lease kept in a local is disposed by a <c>using</c> (the PIN1002 machinery).</summary>
public sealed class PIN5001DisposeWithUsingCodeFixTests
{
    private const string Key = DisposeWithUsingCodeFix.LeaseEquivalenceKey;

    [Fact]
    public Task NeverDisposed_BecomesAUsingDeclaration()
        => Verify.VerifyFixAsync("""
            using System.Runtime.InteropServices;
            using PinAnalyzers.Leases;

            static class Native
            {
                [DllImport("libc")] private static extern nint write(int fd, nint buffer, nint count);

                public static void Send(int fd, byte[] buffer)
                {
                    var lease = {|PIN5001:PinLease<byte>.Acquire(buffer)|};
                    write(fd, lease.Address, buffer.Length);
                }
            }
            """, """
            using System.Runtime.InteropServices;
            using PinAnalyzers.Leases;

            static class Native
            {
                [DllImport("libc")] private static extern nint write(int fd, nint buffer, nint count);

                public static void Send(int fd, byte[] buffer)
                {
                    using var lease = PinLease<byte>.Acquire(buffer);
                    write(fd, lease.Address, buffer.Length);
                }
            }
            """, Key);

    [Fact]
    public Task DisposeAfterAThrowingCall_UsingStatementEndsWhereTheLeaseEnded()
        => Verify.VerifyFixAsync("""
            using System;
            using System.IO;
            using PinAnalyzers.Leases;

            static class Native
            {
                public static void Copy(Stream source, byte[] buffer)
                {
                    var lease = {|PIN5001:PinLease<byte>.Acquire(buffer)|};
                    using (var scope = lease.Enter())
                    {
                        source.Read(scope.Span);
                    }

                    lease.Dispose();

                    Console.WriteLine("copied");
                }
            }
            """, """
            using System;
            using System.IO;
            using PinAnalyzers.Leases;

            static class Native
            {
                public static void Copy(Stream source, byte[] buffer)
                {
                    using (var lease = PinLease<byte>.Acquire(buffer))
                    {
                        using (var scope = lease.Enter())
                        {
                            source.Read(scope.Span);
                        }
                    }

                    Console.WriteLine("copied");
                }
            }
            """, Key);

    [Fact]
    public Task CSharp7_3_UsingStatement()
        => Verify.VerifyFixAsync("""
            using System.IO;
            using PinAnalyzers.Leases;

            static class Native
            {
                public static long Copy(Stream source, byte[] buffer, PinBudget budget)
                {
                    var lease = {|PIN5001:PinLease<byte>.Acquire(buffer, budget)|};
                    source.Read(buffer, 0, buffer.Length);
                    return lease.ByteLength;
                }
            }
            """, """
            using System.IO;
            using PinAnalyzers.Leases;

            static class Native
            {
                public static long Copy(Stream source, byte[] buffer, PinBudget budget)
                {
                    using (var lease = PinLease<byte>.Acquire(buffer, budget))
                    {
                        source.Read(buffer, 0, buffer.Length);
                        return lease.ByteLength;
                    }
                }
            }
            """, Key, LanguageVersion.CSharp7_3);

    [Fact]
    public Task AsyncMethod_UsingAcrossAwait()
        => Verify.VerifyFixAsync("""
            using System.IO;
            using System.Threading.Tasks;
            using PinAnalyzers.Leases;

            static class Native
            {
                public static async Task CopyAsync(Stream source, byte[] buffer)
                {
                    var lease = {|PIN5001:PinLease<byte>.Acquire(buffer)|};
                    await source.ReadAsync(buffer, 0, buffer.Length);
                    lease.Dispose();
                }
            }
            """, """
            using System.IO;
            using System.Threading.Tasks;
            using PinAnalyzers.Leases;

            static class Native
            {
                public static async Task CopyAsync(Stream source, byte[] buffer)
                {
                    using var lease = PinLease<byte>.Acquire(buffer);
                    await source.ReadAsync(buffer, 0, buffer.Length);
                }
            }
            """, Key);

    [Fact]
    public Task DisposedOnOneBranch_TryFinally()
        => Verify.VerifyFixAsync("""
            using System.IO;
            using PinAnalyzers.Leases;

            static class Native
            {
                public static void Copy(Stream source, byte[] buffer, bool quick)
                {
                    var lease = {|PIN5001:PinLease<byte>.Acquire(buffer)|};
                    if (quick)
                    {
                        lease.Dispose();
                        return;
                    }

                    source.Read(buffer, 0, buffer.Length);
                }
            }
            """, """
            using System.IO;
            using PinAnalyzers.Leases;

            static class Native
            {
                public static void Copy(Stream source, byte[] buffer, bool quick)
                {
                    var lease = PinLease<byte>.Acquire(buffer);
                    try
                    {
                        if (quick)
                        {
                            lease.Dispose();
                            return;
                        }

                        source.Read(buffer, 0, buffer.Length);
                    }
                    finally
                    {
                        lease.Dispose();
                    }
                }
            }
            """, Key);

    [Fact]
    public Task FixAll_TwoLeases()
        => Verify.VerifyFixAllAsync("""
            using System.IO;
            using PinAnalyzers.Leases;

            static class Native
            {
                public static void Copy(Stream source, byte[] header, byte[] body)
                {
                    var first = {|PIN5001:PinLease<byte>.Acquire(header)|};
                    var second = {|PIN5001:PinLease<byte>.Acquire(body)|};
                    source.Read(header, 0, header.Length);
                    source.Read(body, 0, body.Length);
                    second.Dispose();
                    first.Dispose();
                }
            }
            """, """
            using System.IO;
            using PinAnalyzers.Leases;

            static class Native
            {
                public static void Copy(Stream source, byte[] header, byte[] body)
                {
                    using var first = PinLease<byte>.Acquire(header);
                    using var second = PinLease<byte>.Acquire(body);
                    source.Read(header, 0, header.Length);
                    source.Read(body, 0, body.Length);
                }
            }
            """, Key, iterations: 2);

    [Fact]
    public Task TryAcquireOut_NoFix()
        => Verify.VerifyNoFixAsync("""
            using System.IO;
            using PinAnalyzers.Leases;

            static class Native
            {
                public static void Copy(Stream source, byte[] buffer, PinBudget budget)
                {
                    if ({|PIN5001:PinLease<byte>.TryAcquire(buffer, budget, out var lease)|})
                    {
                        source.Read(buffer, 0, buffer.Length);
                    }
                }
            }
            """);

    [Fact]
    public Task DiscardedAllocation_NoFix()
        => Verify.VerifyNoFixAsync("""
            using PinAnalyzers.Leases;

            static class Pool
            {
                public static void Warm(PinBudget budget)
                {
                    {|PIN5001:PinLease<byte>.Allocate(4096, budget)|};
                }
            }
            """);

    [Fact]
    public Task LeaseReassigned_NoFix()
        => Verify.VerifyNoFixAsync("""
            using System.IO;
            using PinAnalyzers.Leases;

            static class Native
            {
                public static void Copy(Stream source, byte[] buffer, byte[] other)
                {
                    var lease = {|PIN5001:PinLease<byte>.Acquire(buffer)|};
                    source.Read(buffer, 0, buffer.Length);
                    lease = null;
                    source.Read(other, 0, other.Length);
                }
            }
            """);
}
