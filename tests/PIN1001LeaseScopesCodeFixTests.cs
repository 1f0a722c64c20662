using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using PinAnalyzers.CodeFixes;
using PinAnalyzers.Tests.Verifiers;
using Xunit;
using Verify = PinAnalyzers.Tests.Verifiers.CodeFixVerifier<PinAnalyzers.PinnedHandleAnalyzer, PinAnalyzers.CodeFixes.ConvertToPinLeaseCodeFix>;

namespace PinAnalyzers.Tests;

/// <summary>
/// PIN1001 "Convert to a revocable PinLease", second half: the address reads that stay in a method move into
/// <c>Enter()</c> scopes; every output is also run through all analyzers and must raise no PIN5xxx.
/// </summary>
public sealed class PIN1001LeaseScopesCodeFixTests
{
    private const string Key = ConvertToPinLeaseCodeFix.EquivalenceKey;

    private const string Registration = """
                var lease = PinLease<byte>.Acquire(buffer);
                lease.RevocationRequested.Register(() =>
                {
                    // TODO(PinLease): the owner wants the buffer back: stop all native use of it here (deregister it), then dispose the lease.
                    lease.Dispose();
                });
                _handle = lease;
        """;

    [Fact]
    public Task SynchronousReads_OneScopeWidenedOverTheLocalsTheyDeclare()
        => VerifyFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            sealed class Device : IDisposable
            {
                private GCHandle _handle;

                public Device(byte[] buffer) => _handle = {|PIN1001:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};

                public int Send(int length)
                {
                    Console.WriteLine("sending");
                    // The address goes to a synchronous call.
                    var address = _handle.AddrOfPinnedObject();
                    var sent = Native.Write(address, length);
                    Native.Flush(_handle.AddrOfPinnedObject());
                    return sent;
                }

                public void Dispose() => _handle.Free();
            }

            static class Native
            {
                [DllImport("native")] public static extern int Write(IntPtr buffer, int length);
                [DllImport("native")] public static extern void Flush(IntPtr buffer);
            }
            """, """
            using System;
            using System.Runtime.InteropServices;
            using PinAnalyzers.Leases;

            sealed class Device : IDisposable
            {
                private PinLease<byte> _handle;

                public Device(byte[] buffer)
                {
                    var lease = PinLease<byte>.Acquire(buffer);
                    lease.RevocationRequested.Register(() =>
                    {
                        // TODO(PinLease): the owner wants the buffer back: stop all native use of it here (deregister it), then dispose the lease.
                        lease.Dispose();
                    });
                    _handle = lease;
                }

                public int Send(int length)
                {
                    Console.WriteLine("sending");
                    // The address goes to a synchronous call.
                    using (var scope = _handle.Enter())
                    {
                        var address = scope.Address;
                        var sent = Native.Write(address, length);
                        Native.Flush(scope.Address);
                        return sent;
                    }
                }

                public void Dispose() => _handle.Dispose();
            }

            static class Native
            {
                [DllImport("native")] public static extern int Write(IntPtr buffer, int length);
                [DllImport("native")] public static extern void Flush(IntPtr buffer);
            }
            """);

    [Fact]
    public Task ExpressionBodiedMethod_BecomesABlockWithAScope()
        => VerifyFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            sealed class Device
            {
                private GCHandle _handle;

                public Device(byte[] buffer) => _handle = {|PIN1001:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};

                public void Flush() => Native.Flush(_handle.AddrOfPinnedObject());

                public int Checksum(int length) => Native.Sum(_handle.AddrOfPinnedObject(), length);
            }

            static class Native
            {
                [DllImport("native")] public static extern void Flush(IntPtr buffer);
                [DllImport("native")] public static extern int Sum(IntPtr buffer, int length);
            }
            """, """
            using System;
            using System.Runtime.InteropServices;
            using PinAnalyzers.Leases;

            sealed class Device
            {
                private PinLease<byte> _handle;

                public Device(byte[] buffer)
                {
                    var lease = PinLease<byte>.Acquire(buffer);
                    lease.RevocationRequested.Register(() =>
                    {
                        // TODO(PinLease): the owner wants the buffer back: stop all native use of it here (deregister it), then dispose the lease.
                        lease.Dispose();
                    });
                    _handle = lease;
                }

                public void Flush()
                {
                    using (var scope = _handle.Enter())
                    {
                        Native.Flush(scope.Address);
                    }
                }

                public int Checksum(int length)
                {
                    using (var scope = _handle.Enter())
                    {
                        return Native.Sum(scope.Address, length);
                    }
                }
            }

            static class Native
            {
                [DllImport("native")] public static extern void Flush(IntPtr buffer);
                [DllImport("native")] public static extern int Sum(IntPtr buffer, int length);
            }
            """);

    [Fact]
    public Task AsyncMethod_AScopePerSynchronousSegment_CommentWhereTheReadSpansAwait()
        => VerifyFixAsync("""
            using System;
            using System.Runtime.InteropServices;
            using System.Threading.Tasks;

            sealed class Device
            {
                private GCHandle _handle;

                public Device(byte[] buffer) => _handle = {|PIN1001:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};

                public async Task PumpAsync(int length)
                {
                    Native.Prepare(_handle.AddrOfPinnedObject(), length);
                    await Task.Delay(1);
                    Native.Complete(_handle.AddrOfPinnedObject());
                    await Native.CompleteAsync(_handle.AddrOfPinnedObject());
                }
            }

            static class Native
            {
                [DllImport("native")] public static extern void Prepare(IntPtr buffer, int length);
                [DllImport("native")] public static extern void Complete(IntPtr buffer);
                public static Task CompleteAsync(IntPtr buffer) => Task.CompletedTask;
            }
            """, """
            using System;
            using System.Runtime.InteropServices;
            using System.Threading.Tasks;
            using PinAnalyzers.Leases;

            sealed class Device
            {
                private PinLease<byte> _handle;

                public Device(byte[] buffer)
                {
                    var lease = PinLease<byte>.Acquire(buffer);
                    lease.RevocationRequested.Register(() =>
                    {
                        // TODO(PinLease): the owner wants the buffer back: stop all native use of it here (deregister it), then dispose the lease.
                        lease.Dispose();
                    });
                    _handle = lease;
                }

                public async Task PumpAsync(int length)
                {
                    using (var scope = _handle.Enter())
                    {
                        Native.Prepare(scope.Address, length);
                    }

                    await Task.Delay(1);
                    using (var scope2 = _handle.Enter())
                    {
                        Native.Complete(scope2.Address);
                    }
                    // PinLease: no scope here: this use of the address spans 'await' or 'yield', which a scope (a ref struct) cannot; stop it in the RevocationRequested callback.
                    await Native.CompleteAsync(_handle.Address);
                }
            }

            static class Native
            {
                [DllImport("native")] public static extern void Prepare(IntPtr buffer, int length);
                [DllImport("native")] public static extern void Complete(IntPtr buffer);
                public static Task CompleteAsync(IntPtr buffer) => Task.CompletedTask;
            }
            """);

    [Fact]
    public Task EscapingReads_StayTheLeaseAddress()
        => VerifyFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            [AttributeUsage(AttributeTargets.Parameter)]
            sealed class RetainsPointerAttribute : Attribute { }

            sealed class Device
            {
                private GCHandle _handle;
                private IntPtr _registered;

                public Device(byte[] buffer) => _handle = {|PIN1001:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};

                public IntPtr Address => _handle.AddrOfPinnedObject();

                public void Register() => Native.Register(_handle.AddrOfPinnedObject());

                public void Remember() => _registered = _handle.AddrOfPinnedObject() + 16;
            }

            static class Native
            {
                public static void Register([RetainsPointer] IntPtr buffer) { }
            }
            """, """
            using System;
            using System.Runtime.InteropServices;
            using PinAnalyzers.Leases;

            [AttributeUsage(AttributeTargets.Parameter)]
            sealed class RetainsPointerAttribute : Attribute { }

            sealed class Device
            {
                private PinLease<byte> _handle;
                private IntPtr _registered;

                public Device(byte[] buffer)
                {
                    var lease = PinLease<byte>.Acquire(buffer);
                    lease.RevocationRequested.Register(() =>
                    {
                        // TODO(PinLease): the owner wants the buffer back: stop all native use of it here (deregister it), then dispose the lease.
                        lease.Dispose();
                    });
                    _handle = lease;
                }

                public IntPtr Address => _handle.Address;

                public void Register() => Native.Register(_handle.Address);

                public void Remember() => _registered = _handle.Address + 16;
            }

            static class Native
            {
                public static void Register([RetainsPointer] IntPtr buffer) { }
            }
            """);

    [Fact]
    public Task ReadsInALambdaAndInANestedBlock_EachScopedInItsOwnBlock()
        => VerifyFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            sealed class Device
            {
                private GCHandle _handle;

                public Device(byte[] buffer) => _handle = {|PIN1001:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};

                public Action Flusher() => () =>
                {
                    Native.Flush(_handle.AddrOfPinnedObject());
                };

                public void Both(bool twice)
                {
                    Native.Flush(_handle.AddrOfPinnedObject());
                    if (twice)
                    {
                        Native.Flush(_handle.AddrOfPinnedObject());
                    }
                }
            }

            static class Native
            {
                [DllImport("native")] public static extern void Flush(IntPtr buffer);
            }
            """, """
            using System;
            using System.Runtime.InteropServices;
            using PinAnalyzers.Leases;

            sealed class Device
            {
                private PinLease<byte> _handle;

                public Device(byte[] buffer)
                {
                    var lease = PinLease<byte>.Acquire(buffer);
                    lease.RevocationRequested.Register(() =>
                    {
                        // TODO(PinLease): the owner wants the buffer back: stop all native use of it here (deregister it), then dispose the lease.
                        lease.Dispose();
                    });
                    _handle = lease;
                }

                public Action Flusher() => () =>
                {
                    using (var scope = _handle.Enter())
                    {
                        Native.Flush(scope.Address);
                    }
                };

                public void Both(bool twice)
                {
                    using (var scope = _handle.Enter())
                    {
                        Native.Flush(scope.Address);
                    }

                    if (twice)
                    {
                        using (var scope2 = _handle.Enter())
                        {
                            Native.Flush(scope2.Address);
                        }
                    }
                }
            }

            static class Native
            {
                [DllImport("native")] public static extern void Flush(IntPtr buffer);
            }
            """);

    [Fact]
    public async Task BeforeCSharp13_AsyncReadsGetTheComment()
    {
        var test = new Verify.Test
        {
            TestCode = """
                using System;
                using System.Runtime.InteropServices;
                using System.Threading.Tasks;

                sealed class Device
                {
                    private GCHandle _handle;

                    public Device(byte[] buffer)
                    {
                        _handle = {|PIN1001:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                    }

                    public async Task PumpAsync()
                    {
                        await Task.Yield();
                        Native.Flush(_handle.AddrOfPinnedObject());
                    }
                }

                static class Native
                {
                    [DllImport("native")] public static extern void Flush(IntPtr buffer);
                }
                """,
            FixedCode = """
                using System;
                using System.Runtime.InteropServices;
                using System.Threading.Tasks;
                using PinAnalyzers.Leases;

                sealed class Device
                {
                    private PinLease<byte> _handle;

                    public Device(byte[] buffer)
                    {
                        var lease = PinLease<byte>.Acquire(buffer);
                        lease.RevocationRequested.Register(() =>
                        {
                            // TODO(PinLease): the owner wants the buffer back: stop all native use of it here (deregister it), then dispose the lease.
                            lease.Dispose();
                        });
                        _handle = lease;
                    }

                    public async Task PumpAsync()
                    {
                        await Task.Yield();
                        // PinLease: no scope here: this use of the address spans 'await' or 'yield', which a scope (a ref struct) cannot; stop it in the RevocationRequested callback.
                        Native.Flush(_handle.Address);
                    }
                }

                static class Native
                {
                    [DllImport("native")] public static extern void Flush(IntPtr buffer);
                }
                """,
            CodeActionEquivalenceKey = Key,
        };
        test.TestState.AdditionalReferences.Add(LeaseAnalyzerVerifier<LeaseAnalyzer>.Leases);
        test.UseLanguageVersion(LanguageVersion.CSharp12);
        await test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public async Task CSharp7_3_NoScope_UsingCannotDisposeARefStruct()
    {
        var test = new Verify.Test
        {
            TestCode = """
                using System;
                using System.Runtime.InteropServices;

                sealed class Device
                {
                    private GCHandle _handle;

                    public Device(byte[] buffer)
                    {
                        _handle = {|PIN1001:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                    }

                    public void Flush()
                    {
                        Native.Flush(_handle.AddrOfPinnedObject());
                    }
                }

                static class Native
                {
                    [DllImport("native")] public static extern void Flush(IntPtr buffer);
                }
                """,
            FixedCode = """
                using System;
                using System.Runtime.InteropServices;
                using PinAnalyzers.Leases;

                sealed class Device
                {
                    private PinLease<byte> _handle;

                    public Device(byte[] buffer)
                    {
                        var lease = PinLease<byte>.Acquire(buffer);
                        lease.RevocationRequested.Register(() =>
                        {
                            // TODO(PinLease): the owner wants the buffer back: stop all native use of it here (deregister it), then dispose the lease.
                            lease.Dispose();
                        });
                        _handle = lease;
                    }

                    public void Flush()
                    {
                        Native.Flush(_handle.Address);
                    }
                }

                static class Native
                {
                    [DllImport("native")] public static extern void Flush(IntPtr buffer);
                }
                """,
            CodeActionEquivalenceKey = Key,
        };
        test.TestState.AdditionalReferences.Add(LeaseAnalyzerVerifier<LeaseAnalyzer>.Leases);
        test.UseLanguageVersion(LanguageVersion.CSharp7_3);
        await test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public Task LocalUsedAfterTheRead_ScopeWidenedToItsLastUse()
        => VerifyFixAsync("""
            using System;
            using System.IO;
            using System.Runtime.InteropServices;

            sealed class Device
            {
                private GCHandle _handle;

                public Device(byte[] buffer) => _handle = {|PIN1001:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};

                public long Copy(string path)
                {
                    using var log = File.OpenWrite(path);
                    var copied = Native.Copy(_handle.AddrOfPinnedObject());
                    log.WriteByte(1);
                    Console.WriteLine(copied);
                    return log.Length;
                }
            }

            static class Native
            {
                [DllImport("native")] public static extern int Copy(IntPtr buffer);
            }
            """, """
            using System;
            using System.IO;
            using System.Runtime.InteropServices;
            using PinAnalyzers.Leases;

            sealed class Device
            {
                private PinLease<byte> _handle;

                public Device(byte[] buffer)
                {
                    var lease = PinLease<byte>.Acquire(buffer);
                    lease.RevocationRequested.Register(() =>
                    {
                        // TODO(PinLease): the owner wants the buffer back: stop all native use of it here (deregister it), then dispose the lease.
                        lease.Dispose();
                    });
                    _handle = lease;
                }

                public long Copy(string path)
                {
                    using var log = File.OpenWrite(path);
                    using (var scope = _handle.Enter())
                    {
                        var copied = Native.Copy(scope.Address);
                        log.WriteByte(1);
                        Console.WriteLine(copied);
                    }

                    return log.Length;
                }
            }

            static class Native
            {
                [DllImport("native")] public static extern int Copy(IntPtr buffer);
            }
            """);

    [Fact]
    public Task AddressCapturedByALambda_StaysTheLeaseAddress()
        => VerifyFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            sealed class Device
            {
                private GCHandle _handle;

                public Device(byte[] buffer) => _handle = {|PIN1001:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};

                public Action Later()
                {
                    var address = _handle.AddrOfPinnedObject();
                    return () => Native.Flush(address);
                }
            }

            static class Native
            {
                [DllImport("native")] public static extern void Flush(IntPtr buffer);
            }
            """, """
            using System;
            using System.Runtime.InteropServices;
            using PinAnalyzers.Leases;

            sealed class Device
            {
                private PinLease<byte> _handle;

                public Device(byte[] buffer)
                {
                    var lease = PinLease<byte>.Acquire(buffer);
                    lease.RevocationRequested.Register(() =>
                    {
                        // TODO(PinLease): the owner wants the buffer back: stop all native use of it here (deregister it), then dispose the lease.
                        lease.Dispose();
                    });
                    _handle = lease;
                }

                public Action Later()
                {
                    var address = _handle.Address;
                    return () => Native.Flush(address);
                }
            }

            static class Native
            {
                [DllImport("native")] public static extern void Flush(IntPtr buffer);
            }
            """);

    [Fact]
    public async Task FixAll_TwoFieldsReadInOneMethod_NestedScopesWithTheirOwnNames()
    {
        var fixedSource = """
            using System;
            using System.Runtime.InteropServices;
            using PinAnalyzers.Leases;

            sealed class Duplex
            {
                private PinLease<byte> _send;
                private PinLease<byte> _receive;

                public Duplex(byte[] send, byte[] receive)
                {
                    var sendLease = PinLease<byte>.Acquire(send);
                    sendLease.RevocationRequested.Register(() =>
                    {
                        // TODO(PinLease): the owner wants the buffer back: stop all native use of it here (deregister it), then dispose the lease.
                        sendLease.Dispose();
                    });
                    _send = sendLease;
                    var receiveLease = PinLease<byte>.Acquire(receive);
                    receiveLease.RevocationRequested.Register(() =>
                    {
                        // TODO(PinLease): the owner wants the buffer back: stop all native use of it here (deregister it), then dispose the lease.
                        receiveLease.Dispose();
                    });
                    _receive = receiveLease;
                }

                public void Exchange()
                {
                    using (var scope = _send.Enter())
                    {
                        using (var scope2 = _receive.Enter())
                        {
                            Native.Exchange(scope.Address, scope2.Address);
                        }
                    }
                }
            }

            static class Native
            {
                [DllImport("native")] public static extern void Exchange(IntPtr send, IntPtr receive);
            }
            """;
        var test = new Verify.Test
        {
            TestCode = """
                using System;
                using System.Runtime.InteropServices;

                sealed class Duplex
                {
                    private GCHandle _send;
                    private GCHandle _receive;

                    public Duplex(byte[] send, byte[] receive)
                    {
                        _send = {|PIN1001:GCHandle.Alloc(send, GCHandleType.Pinned)|};
                        _receive = {|PIN1001:GCHandle.Alloc(receive, GCHandleType.Pinned)|};
                    }

                    public void Exchange()
                    {
                        Native.Exchange(_send.AddrOfPinnedObject(), _receive.AddrOfPinnedObject());
                    }
                }

                static class Native
                {
                    [DllImport("native")] public static extern void Exchange(IntPtr send, IntPtr receive);
                }
                """,
            FixedCode = fixedSource,
            BatchFixedCode = fixedSource,
            CodeActionEquivalenceKey = Key,
            NumberOfIncrementalIterations = 2,
            NumberOfFixAllIterations = 1,
        };
        test.TestState.AdditionalReferences.Add(LeaseAnalyzerVerifier<LeaseAnalyzer>.Leases);
        await test.RunAsync(CancellationToken.None);
        await LeaseFixVerifier.AssertCleanAsync(fixedSource);
    }

    private static async Task VerifyFixAsync(string source, string fixedSource)
    {
        var test = new Verify.Test
        {
            TestCode = source,
            FixedCode = fixedSource,
            CodeActionEquivalenceKey = Key,
        };
        test.TestState.AdditionalReferences.Add(LeaseAnalyzerVerifier<LeaseAnalyzer>.Leases);
        await test.RunAsync(CancellationToken.None);
        await LeaseFixVerifier.AssertCleanAsync(fixedSource);
    }
}

/// <summary>The output check itself: it must fail on what it is there to catch.</summary>
public sealed class LeaseFixVerifierTests
{
    [Fact]
    public async Task FailsOnALeaseDiagnostic()
        => await Assert.ThrowsAnyAsync<Exception>(() => LeaseFixVerifier.AssertCleanAsync("""
            using PinAnalyzers.Leases;

            static class Leaky
            {
                public static System.IntPtr Peek(byte[] buffer)
                {
                    var lease = PinLease<byte>.Acquire(buffer);
                    var scope = lease.Enter();
                    return scope.Address;
                }
            }
            """));

    [Fact]
    public async Task FailsOnACompilerError()
        => await Assert.ThrowsAnyAsync<Exception>(() => LeaseFixVerifier.AssertCleanAsync("class C { void M() { int x = \"no\"; } }"));

    [Fact]
    public Task PassesOnCleanLeaseCode()
        => LeaseFixVerifier.AssertCleanAsync("""
            using PinAnalyzers.Leases;

            static class Tidy
            {
                [System.Runtime.InteropServices.DllImport("native")] private static extern void Use(System.IntPtr p);

                public static void Run(byte[] buffer)
                {
                    using var lease = PinLease<byte>.Acquire(buffer);
                    using (var scope = lease.Enter())
                    {
                        Use(scope.Address);
                    }
                }
            }
            """);
}
