using PinAnalyzers.CodeFixes;
using PinAnalyzers.Tests.Verifiers;
using Xunit;
using Verify = PinAnalyzers.Tests.Verifiers.CodeFixVerifier<PinAnalyzers.MemoryHandleAnalyzer, PinAnalyzers.CodeFixes.ConvertToPinLeaseCodeFix>;
using VerifyPinned = PinAnalyzers.Tests.Verifiers.CodeFixVerifier<PinAnalyzers.MemoryHandleAnalyzer, PinAnalyzers.CodeFixes.UsePinnedMemoryCodeFix>;

namespace PinAnalyzers.Tests;

/// <summary>PIN3001 fixes: "Convert to a revocable lease" (the conversion table's MemoryHandle entry) and "Use pinned memory".</summary>
public sealed class PIN3001MemoryHandleCodeFixTests
{
    // ---- Convert to a revocable lease ----

    [Fact]
    public Task Lease_MemoryHandleField_PointerReadsScoped()
        => VerifyLeaseAsync("""
            using System;
            using System.Buffers;
            using System.Runtime.InteropServices;

            unsafe sealed class Receiver : IDisposable
            {
                private MemoryHandle _pin;

                public Receiver(Memory<byte> buffer)
                {
                    _pin = {|PIN3001:buffer.Pin()|};
                }

                public void Flush() => Native.Flush(_pin.Pointer);

                public void Dispose() => _pin.Dispose();
            }

            static unsafe class Native
            {
                [DllImport("native")] public static extern void Flush(void* buffer);
            }
            """, """
            using System;
            using System.Buffers;
            using System.Runtime.InteropServices;
            using PinAnalyzers.Leases;

            unsafe sealed class Receiver : IDisposable
            {
                private PinLease<byte> _pin;

                public Receiver(Memory<byte> buffer)
                {
                    var pinLease = PinLease<byte>.Acquire(buffer);
                    pinLease.RevocationRequested.Register(() =>
                    {
                        // TODO(PinLease): the owner wants the buffer back: stop all native use of it here (deregister it), then dispose the lease.
                        pinLease.Dispose();
                    });
                    _pin = pinLease;
                }

                public void Flush()
                {
                    using (var scope = _pin.Enter())
                    {
                        Native.Flush((void*)scope.Address);
                    }
                }

                public void Dispose() => _pin.Dispose();
            }

            static unsafe class Native
            {
                [DllImport("native")] public static extern void Flush(void* buffer);
            }
            """);

    [Fact]
    public Task Lease_PinnedInAMethod_NullableDispose()
        => VerifyLeaseAsync("""
            using System;
            using System.Buffers;

            sealed class Pump : IDisposable
            {
                private MemoryHandle _pin;

                public void Start(Memory<int> slots) => _pin = {|PIN3001:slots.Pin()|};

                public void Dispose() => _pin.Dispose();
            }
            """, """
            using System;
            using System.Buffers;
            using PinAnalyzers.Leases;

            sealed class Pump : IDisposable
            {
                private PinLease<int> _pin;

                public void Start(Memory<int> slots)
                {
                    var pinLease = PinLease<int>.Acquire(slots);
                    pinLease.RevocationRequested.Register(() =>
                    {
                        // TODO(PinLease): the owner wants the buffer back: stop all native use of it here (deregister it), then dispose the lease.
                        pinLease.Dispose();
                    });
                    _pin = pinLease;
                }

                public void Dispose() => _pin?.Dispose();
            }
            """);

    [Fact]
    public Task Lease_NotOffered_ForReadOnlyMemory()
        => VerifyNoLeaseAsync("""
            using System;
            using System.Buffers;

            sealed class Pump : IDisposable
            {
                private MemoryHandle _pin;

                public void Start(ReadOnlyMemory<byte> data) => _pin = {|PIN3001:data.Pin()|};

                public void Dispose() => _pin.Dispose();
            }
            """);

    [Fact]
    public Task Lease_NotOffered_WhenTheHandleIsPassedOn()
        => VerifyNoLeaseAsync("""
            using System;
            using System.Buffers;

            sealed class Pump : IDisposable
            {
                private MemoryHandle _pin;

                public void Start(Memory<byte> data) => _pin = {|PIN3001:data.Pin()|};

                public MemoryHandle Handle => _pin;

                public void Dispose() => _pin.Dispose();
            }
            """);

    // ---- Use pinned memory ----

    [Fact]
    public Task Pinned_MemoryFieldFromNewArray_BecomesPinnedArrayMemory()
        => VerifyPinned.VerifyFixAsync("""
            using System;
            using System.Buffers;
            using System.Runtime.InteropServices;

            sealed class Receiver : IDisposable
            {
                private Memory<byte> _memory = new byte[4096];
                private MemoryHandle _pin;

                public void Start() => _pin = {|PIN3001:_memory.Pin()|};

                public void Dispose() => _pin.Dispose();
            }
            """, """
            using System;
            using System.Buffers;
            using System.Runtime.InteropServices;

            sealed class Receiver : IDisposable
            {
                private readonly Memory<byte> _memory = MemoryMarshal.CreateFromPinnedArray(GC.AllocateArray<byte>(4096, pinned: true), 0, 4096);
                private MemoryHandle _pin;

                public void Start() => _pin = _memory.Pin();

                public void Dispose() => _pin.Dispose();
            }
            """, UsePinnedMemoryCodeFix.MemoryEquivalenceKey);

    [Fact]
    public Task Pinned_ArrayFieldCreatedInTheConstructor_ViewedAsMemory()
        => VerifyPinned.VerifyFixAsync("""
            using System;
            using System.Buffers;

            sealed class Receiver : IDisposable
            {
                private byte[] _buffer;
                private MemoryHandle _pin;

                public Receiver(int size)
                {
                    _buffer = new byte[size];
                    _pin = {|PIN3001:_buffer.AsMemory().Pin()|};
                }

                public void Dispose() => _pin.Dispose();
            }
            """, """
            using System;
            using System.Buffers;

            sealed class Receiver : IDisposable
            {
                private readonly byte[] _buffer;
                private MemoryHandle _pin;

                public Receiver(int size)
                {
                    _buffer = GC.AllocateArray<byte>(size, pinned: true);
                    _pin = _buffer.AsMemory().Pin();
                }

                public void Dispose() => _pin.Dispose();
            }
            """, UsePinnedMemoryCodeFix.MemoryEquivalenceKey);

    [Fact]
    public Task Pinned_NotOffered_WhenTheMemoryComesFromOutside()
        => VerifyPinned.VerifyNoFixAsync("""
            using System;
            using System.Buffers;

            sealed class Receiver : IDisposable
            {
                private MemoryHandle _pin;

                public void Start(Memory<byte> memory) => _pin = {|PIN3001:memory.Pin()|};

                public void Dispose() => _pin.Dispose();
            }
            """);

    [Fact]
    public Task Pinned_NotOffered_WhenTheFieldIsReassignedOutsideAConstructor()
        => VerifyPinned.VerifyNoFixAsync("""
            using System;
            using System.Buffers;

            sealed class Receiver : IDisposable
            {
                private Memory<byte> _memory = new byte[4096];
                private MemoryHandle _pin;

                public void Grow() => _memory = new byte[8192];

                public void Start() => _pin = {|PIN3001:_memory.Pin()|};

                public void Dispose() => _pin.Dispose();
            }
            """);

    [Fact]
    public Task Pinned_NotOffered_WhenTheLengthCannotBeReadTwice()
        => VerifyPinned.VerifyNoFixAsync("""
            using System;
            using System.Buffers;

            sealed class Receiver : IDisposable
            {
                private readonly Memory<byte> _memory;
                private MemoryHandle _pin;

                public Receiver(int[] sizes)
                {
                    _memory = new byte[sizes[0] * 2];
                    _pin = {|PIN3001:_memory.Pin()|};
                }

                public void Dispose() => _pin.Dispose();
            }
            """);

    [Fact]
    public Task Pinned_NotOffered_ForAnArrayOfReferences()
        => VerifyPinned.VerifyNoFixAsync("""
            using System;
            using System.Buffers;

            sealed class Receiver : IDisposable
            {
                private readonly Memory<string> _memory = new string[8];
                private MemoryHandle _pin;

                public void Start() => _pin = {|PIN3001:_memory.Pin()|};

                public void Dispose() => _pin.Dispose();
            }
            """);

    [Fact]
    public async Task Pinned_FixAll_TwoFields()
    {
        var test = new VerifyPinned.Test
        {
            TestCode = """
                using System;
                using System.Buffers;

                sealed class Duplex : IDisposable
                {
                    private byte[] _send = new byte[64];
                    private byte[] _receive = new byte[128];
                    private MemoryHandle _sendPin;
                    private MemoryHandle _receivePin;

                    public void Start()
                    {
                        _sendPin = {|PIN3001:_send.AsMemory().Pin()|};
                        _receivePin = {|PIN3001:_receive.AsMemory().Pin()|};
                    }

                    public void Dispose()
                    {
                        _sendPin.Dispose();
                        _receivePin.Dispose();
                    }
                }
                """,
            FixedCode = """
                using System;
                using System.Buffers;

                sealed class Duplex : IDisposable
                {
                    private readonly byte[] _send = GC.AllocateArray<byte>(64, pinned: true);
                    private readonly byte[] _receive = GC.AllocateArray<byte>(128, pinned: true);
                    private MemoryHandle _sendPin;
                    private MemoryHandle _receivePin;

                    public void Start()
                    {
                        _sendPin = _send.AsMemory().Pin();
                        _receivePin = _receive.AsMemory().Pin();
                    }

                    public void Dispose()
                    {
                        _sendPin.Dispose();
                        _receivePin.Dispose();
                    }
                }
                """,
            CodeActionEquivalenceKey = UsePinnedMemoryCodeFix.MemoryEquivalenceKey,
            NumberOfIncrementalIterations = 2,
            NumberOfFixAllIterations = 1,
        };
        await test.RunAsync(CancellationToken.None);
    }

    private static async Task VerifyLeaseAsync(string source, string fixedSource)
    {
        var test = new Verify.Test
        {
            TestCode = source,
            FixedCode = fixedSource,
            CodeActionEquivalenceKey = ConvertToPinLeaseCodeFix.MemoryEquivalenceKey,
        };
        test.TestState.AdditionalReferences.Add(LeaseAnalyzerVerifier<LeaseAnalyzer>.Leases);
        await test.RunAsync(CancellationToken.None);
        await LeaseFixVerifier.AssertCleanAsync(fixedSource, "PIN3001", "PIN3002");
    }

    private static Task VerifyNoLeaseAsync(string source)
    {
        var test = new Verify.Test { TestCode = source, FixedCode = source };
        test.TestState.AdditionalReferences.Add(LeaseAnalyzerVerifier<LeaseAnalyzer>.Leases);
        return test.RunAsync(CancellationToken.None);
    }
}
