using PinAnalyzers.CodeFixes;
using PinAnalyzers.Tests.Verifiers;
using Xunit;
using Verify = PinAnalyzers.Tests.Verifiers.CodeFixVerifier<PinAnalyzers.FixedPointerAnalyzer, PinAnalyzers.CodeFixes.RetainedPointerLeaseCodeFix>;

namespace PinAnalyzers.Tests;

/// <summary>PIN2002 "Convert to a revocable PinLease": a fixed over the object's own array, retained by native code, becomes a lease field.</summary>
public sealed class PIN2002ConvertToLeaseCodeFixTests
{
    private const string Key = RetainedPointerLeaseCodeFix.EquivalenceKey;

    private const string Verbs = """

        static unsafe class Verbs
        {
            [DllImport("ibverbs")] public static extern IntPtr ibv_reg_mr(IntPtr pd, void* addr, nuint length, int access);
            [DllImport("ibverbs")] public static extern int ibv_dereg_mr(IntPtr mr);
        }
        """;

    [Fact]
    public Task FixedOverAFieldArray_RegisteredWithTheNic_DisposedWithTheType()
        => VerifyFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            unsafe sealed class Nic : IDisposable
            {
                private readonly byte[] _buffer = new byte[4096];
                private IntPtr _mr;

                public void Register(IntPtr pd)
                {
                    // The NIC writes into the buffer until deregistered.
                    fixed (byte* p = _buffer)
                    {
                        _mr = Verbs.ibv_reg_mr(pd, {|PIN2002:p|}, (nuint)_buffer.Length, 1);
                    }
                }

                public void Dispose() => Verbs.ibv_dereg_mr(_mr);
            }
            """ + Verbs, """
            using System;
            using System.Runtime.InteropServices;
            using PinAnalyzers.Leases;

            unsafe sealed class Nic : IDisposable
            {
                private readonly byte[] _buffer = new byte[4096];
                private PinLease<byte> _bufferLease;
                private IntPtr _mr;

                public void Register(IntPtr pd)
                {
                    // The NIC writes into the buffer until deregistered.
                    var bufferLease = PinLease<byte>.Acquire(_buffer);
                    bufferLease.RevocationRequested.Register(() =>
                    {
                        // TODO(PinLease): the owner wants the buffer back: stop all native use of it here (deregister it), then dispose the lease.
                        bufferLease.Dispose();
                    });
                    _bufferLease = bufferLease;
                    {
                        byte* p = (byte*)bufferLease.Address;
                        _mr = Verbs.ibv_reg_mr(pd, p, (nuint)_buffer.Length, 1);
                    }
                }

                public void Dispose()
                {
                    Verbs.ibv_dereg_mr(_mr);
                    _bufferLease?.Dispose();
                }
            }
            """ + Verbs);

    [Fact]
    public Task FixedOverTheFirstElement_NullableContext()
        => VerifyFixAsync("""
            #nullable enable
            using System;
            using System.Runtime.InteropServices;

            unsafe sealed class Ring
            {
                private long[] _slots = new long[64];

                public IntPtr Register(IntPtr pd)
                {
                    fixed (long* first = &_slots[0])
                        return Verbs.ibv_reg_mr(pd, {|PIN2002:first|}, 512, 1);
                }
            }
            """ + Verbs, """
            #nullable enable
            using System;
            using System.Runtime.InteropServices;
            using PinAnalyzers.Leases;

            unsafe sealed class Ring
            {
                private long[] _slots = new long[64];
                private PinLease<long>? _slotsLease;

                public IntPtr Register(IntPtr pd)
                {
                    var slotsLease = PinLease<long>.Acquire(_slots);
                    slotsLease.RevocationRequested.Register(() =>
                    {
                        // TODO(PinLease): the owner wants the buffer back: stop all native use of it here (deregister it), then dispose the lease.
                        slotsLease.Dispose();
                    });
                    _slotsLease = slotsLease;
                    {
                        long* first = (long*)slotsLease.Address;
                        return Verbs.ibv_reg_mr(pd, first, 512, 1);
                    }
                }
            }
            """ + Verbs);

    [Fact]
    public Task NotOffered_WithoutTheLeaseLibrary()
        => Verify.VerifyNoFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            unsafe sealed class Nic
            {
                private readonly byte[] _buffer = new byte[4096];

                public IntPtr Register(IntPtr pd)
                {
                    fixed (byte* p = _buffer)
                    {
                        return Verbs.ibv_reg_mr(pd, {|PIN2002:p|}, 4096, 1);
                    }
                }
            }
            """ + Verbs);

    [Fact]
    public Task NotOffered_ForAParameterArray()
        => VerifyNoFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            unsafe sealed class Nic
            {
                public IntPtr Register(IntPtr pd, byte[] buffer)
                {
                    fixed (byte* p = buffer)
                    {
                        return Verbs.ibv_reg_mr(pd, {|PIN2002:p|}, (nuint)buffer.Length, 1);
                    }
                }
            }
            """ + Verbs);

    [Fact]
    public Task NotOffered_ForAnElementOtherThanTheFirst()
        => VerifyNoFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            unsafe sealed class Nic
            {
                private readonly byte[] _buffer = new byte[4096];

                public IntPtr Register(IntPtr pd)
                {
                    fixed (byte* p = &_buffer[64])
                    {
                        return Verbs.ibv_reg_mr(pd, {|PIN2002:p|}, 64, 1);
                    }
                }
            }
            """ + Verbs);

    [Fact]
    public Task NotOffered_ForAnArrayFieldOfTheBaseClass()
        => VerifyNoFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            unsafe class Device
            {
                protected readonly byte[] _buffer = new byte[4096];
            }

            unsafe sealed class Nic : Device
            {
                public IntPtr Register(IntPtr pd)
                {
                    fixed (byte* p = _buffer)
                    {
                        return Verbs.ibv_reg_mr(pd, {|PIN2002:p|}, 4096, 1);
                    }
                }
            }
            """ + Verbs);

    [Fact]
    public async Task FixAll_TwoFixedStatements()
    {
        var source = """
            using System;
            using System.Runtime.InteropServices;

            unsafe sealed class Duplex
            {
                private readonly byte[] _send = new byte[64];
                private readonly byte[] _receive = new byte[64];

                public void Register(IntPtr pd)
                {
                    fixed (byte* s = _send)
                    {
                        Verbs.ibv_reg_mr(pd, {|PIN2002:s|}, 64, 1);
                    }

                    fixed (byte* r = _receive)
                    {
                        Verbs.ibv_reg_mr(pd, {|PIN2002:r|}, 64, 2);
                    }
                }
            }
            """ + Verbs;
        var fixedSource = """
            using System;
            using System.Runtime.InteropServices;
            using PinAnalyzers.Leases;

            unsafe sealed class Duplex
            {
                private readonly byte[] _send = new byte[64];
                private PinLease<byte> _sendLease;
                private readonly byte[] _receive = new byte[64];
                private PinLease<byte> _receiveLease;

                public void Register(IntPtr pd)
                {
                    var sendLease = PinLease<byte>.Acquire(_send);
                    sendLease.RevocationRequested.Register(() =>
                    {
                        // TODO(PinLease): the owner wants the buffer back: stop all native use of it here (deregister it), then dispose the lease.
                        sendLease.Dispose();
                    });
                    _sendLease = sendLease;
                    {
                        byte* s = (byte*)sendLease.Address;
                        Verbs.ibv_reg_mr(pd, s, 64, 1);
                    }

                    var receiveLease = PinLease<byte>.Acquire(_receive);
                    receiveLease.RevocationRequested.Register(() =>
                    {
                        // TODO(PinLease): the owner wants the buffer back: stop all native use of it here (deregister it), then dispose the lease.
                        receiveLease.Dispose();
                    });
                    _receiveLease = receiveLease;
                    {
                        byte* r = (byte*)receiveLease.Address;
                        Verbs.ibv_reg_mr(pd, r, 64, 2);
                    }
                }
            }
            """ + Verbs;
        var test = new Verify.Test
        {
            TestCode = source,
            FixedCode = fixedSource,
            BatchFixedCode = fixedSource,
            CodeActionEquivalenceKey = Key,
            NumberOfIncrementalIterations = 2,
            NumberOfFixAllIterations = 1,
        };
        test.TestState.AdditionalReferences.Add(LeaseAnalyzerVerifier<LeaseAnalyzer>.Leases);
        await test.RunAsync(CancellationToken.None);
        await LeaseFixVerifier.AssertCleanAsync(fixedSource, "PIN2001", "PIN2002");
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
        await LeaseFixVerifier.AssertCleanAsync(fixedSource, "PIN2001", "PIN2002");
    }

    private static Task VerifyNoFixAsync(string source)
    {
        var test = new Verify.Test { TestCode = source, FixedCode = source };
        test.TestState.AdditionalReferences.Add(LeaseAnalyzerVerifier<LeaseAnalyzer>.Leases);
        return test.RunAsync(CancellationToken.None);
    }
}
