using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using PinAnalyzers.CodeFixes;
using PinAnalyzers.Tests.Verifiers;
using Xunit;
using Verify = PinAnalyzers.Tests.Verifiers.CodeFixVerifier<PinAnalyzers.PinnedHandleAnalyzer, PinAnalyzers.CodeFixes.ConvertToPinLeaseCodeFix>;

namespace PinAnalyzers.Tests;

/// <summary>PIN1001 "Convert to a revocable PinLease"; the test compilations reference the lease library unless a test says not.</summary>
public sealed class PIN1001ConvertToLeaseCodeFixTests
{
    private const string Key = ConvertToPinLeaseCodeFix.EquivalenceKey;

    private static readonly MetadataReference LeaseLibrary = MetadataReference.CreateFromFile(typeof(PinAnalyzers.Leases.PinBudget).Assembly.Location);

    private const string ReceiverSource = """
        using System;
        using System.Runtime.InteropServices;

        sealed class Receiver : IDisposable
        {
            private readonly byte[] _buffer;
            private GCHandle _handle;

            public Receiver(byte[] buffer)
            {
                _buffer = buffer;
                // Pinned for as long as the receiver lives.
                _handle = {|PIN1001:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
            }

            public IntPtr Address => _handle.AddrOfPinnedObject();

            public void Dispose()
            {
                if (_handle.IsAllocated)
                {
                    _handle.Free();
                }
            }
        }
        """;

    [Fact]
    public Task GCHandleField_PinnedInConstructor_FreedInDispose()
        => VerifyFixAsync(ReceiverSource, """
            using System;
            using System.Runtime.InteropServices;
            using PinAnalyzers.Leases;

            sealed class Receiver : IDisposable
            {
                private readonly byte[] _buffer;
                private PinLease<byte> _handle;

                public Receiver(byte[] buffer)
                {
                    _buffer = buffer;
                    // Pinned for as long as the receiver lives.
                    var lease = PinLease<byte>.Acquire(buffer);
                    lease.RevocationRequested.Register(() =>
                    {
                        // TODO(PinLease): the owner wants the buffer back: stop all native use of it here (deregister it), then dispose the lease.
                        lease.Dispose();
                    });
                    _handle = lease;
                }

                public IntPtr Address => _handle.Address;

                public void Dispose()
                {
                    _handle.Dispose();
                }
            }
            """);

    [Fact]
    public Task NotOffered_WithoutTheLeaseLibrary()
        => Verify.VerifyNoFixAsync(ReceiverSource);

    [Fact]
    public Task TypedHandleField_AddressCastBackToThePointer()
        => VerifyFixAsync("""
            #nullable enable
            using System;
            using System.Runtime.InteropServices;

            unsafe sealed class Ring : IDisposable
            {
                private PinnedGCHandle<long[]> _slots;

                public Ring(long[] slots)
                {
                    _slots = {|PIN1001:new PinnedGCHandle<long[]>(slots)|};
                }

                public long* First => _slots.GetAddressOfArrayData();

                public long Second => _slots.GetAddressOfArrayData()[1];

                public long[] Slots => _slots.Target;

                public void Dispose() => _slots.Dispose();
            }
            """, """
            #nullable enable
            using System;
            using System.Runtime.InteropServices;
            using PinAnalyzers.Leases;

            unsafe sealed class Ring : IDisposable
            {
                private PinLease<long> _slots;

                public Ring(long[] slots)
                {
                    var slotsLease = PinLease<long>.Acquire(slots);
                    slotsLease.RevocationRequested.Register(() =>
                    {
                        // TODO(PinLease): the owner wants the buffer back: stop all native use of it here (deregister it), then dispose the lease.
                        slotsLease.Dispose();
                    });
                    _slots = slotsLease;
                }

                public long* First => (long*)_slots.Address;

                public long Second
                {
                    get
                    {
                        using (var scope = _slots.Enter())
                        {
                            return ((long*)scope.Address)[1];
                        }
                    }
                }

                public long[] Slots => _slots.Array!;

                public void Dispose() => _slots.Dispose();
            }
            """);

    [Fact]
    public Task PinnedInAMethod_NullableField_GuardsAndResets()
        => VerifyFixAsync("""
            #nullable enable
            using System;
            using System.Runtime.InteropServices;

            sealed class Device
            {
                private GCHandle _handle;

                public void Open(byte[] buffer)
                {
                    _handle = {|PIN1001:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                    Register(_handle.AddrOfPinnedObject());
                }

                public IntPtr Address
                {
                    get
                    {
                        if (!_handle.IsAllocated) throw new InvalidOperationException("not open");
                        return _handle.AddrOfPinnedObject();
                    }
                }

                public IntPtr AddressOrZero => _handle.IsAllocated ? _handle.AddrOfPinnedObject() : IntPtr.Zero;

                public void Close()
                {
                    if (_handle.IsAllocated)
                    {
                        _handle.Free();
                        _handle = default;
                    }
                }

                private static void Register(IntPtr address) { }
            }
            """, """
            #nullable enable
            using System;
            using System.Runtime.InteropServices;
            using PinAnalyzers.Leases;

            sealed class Device
            {
                private PinLease<byte>? _handle;

                public void Open(byte[] buffer)
                {
                    var lease = PinLease<byte>.Acquire(buffer);
                    lease.RevocationRequested.Register(() =>
                    {
                        // TODO(PinLease): the owner wants the buffer back: stop all native use of it here (deregister it), then dispose the lease.
                        lease.Dispose();
                    });
                    _handle = lease;
                    using (var scope = _handle.Enter())
                    {
                        Register(scope.Address);
                    }
                }

                public IntPtr Address
                {
                    get
                    {
                        if (_handle is not { IsPinned: true }) throw new InvalidOperationException("not open");
                        return _handle.Address;
                    }
                }

                public IntPtr AddressOrZero => _handle is { IsPinned: true } ? _handle.Address : IntPtr.Zero;

                public void Close()
                {
                    _handle?.Dispose();
                    _handle = null;
                }

                private static void Register(IntPtr address) { }
            }
            """);

    [Fact]
    public Task EmbeddedPin_ThisQualified_NullableDisabled()
        => VerifyFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            sealed class Slots
            {
                private GCHandle _pin;

                public void Pin(int[] slots, bool pin)
                {
                    if (pin)
                        this._pin = {|PIN1001:GCHandle.Alloc(slots, GCHandleType.Pinned)|};
                }

                public bool IsPinned => this._pin.IsAllocated;

                public int[] Values => (int[])this._pin.Target;

                public IntPtr Address => this._pin.AddrOfPinnedObject();

                public void Unpin() => this._pin.Free();
            }
            """, """
            using System;
            using System.Runtime.InteropServices;
            using PinAnalyzers.Leases;

            sealed class Slots
            {
                private PinLease<int> _pin;

                public void Pin(int[] slots, bool pin)
                {
                    if (pin)
                    {
                        var pinLease = PinLease<int>.Acquire(slots);
                        pinLease.RevocationRequested.Register(() =>
                        {
                            // TODO(PinLease): the owner wants the buffer back: stop all native use of it here (deregister it), then dispose the lease.
                            pinLease.Dispose();
                        });
                        this._pin = pinLease;
                    }
                }

                public bool IsPinned => this._pin is { IsPinned: true };

                public int[] Values => (int[])this._pin.Array;

                public IntPtr Address => this._pin.Address;

                public void Unpin() => this._pin?.Dispose();
            }
            """);

    [Fact]
    public Task TwoPinsIntoOneField_BothConvert()
        => VerifyFixAsync("""
            #nullable enable
            using System;
            using System.Runtime.InteropServices;

            sealed class Mailbox : IDisposable
            {
                private GCHandle _handle;

                public Mailbox(byte[] first)
                {
                    _handle = {|PIN1001:GCHandle.Alloc(first, GCHandleType.Pinned)|};
                }

                public void Replace(byte[] next)
                {
                    _handle.Free();
                    _handle = {|PIN1001:GCHandle.Alloc(next, GCHandleType.Pinned)|};
                }

                public IntPtr Address => _handle.AddrOfPinnedObject();

                public void Dispose() => _handle.Free();
            }
            """, """
            #nullable enable
            using System;
            using System.Runtime.InteropServices;
            using PinAnalyzers.Leases;

            sealed class Mailbox : IDisposable
            {
                private PinLease<byte> _handle;

                public Mailbox(byte[] first)
                {
                    var lease = PinLease<byte>.Acquire(first);
                    lease.RevocationRequested.Register(() =>
                    {
                        // TODO(PinLease): the owner wants the buffer back: stop all native use of it here (deregister it), then dispose the lease.
                        lease.Dispose();
                    });
                    _handle = lease;
                }

                public void Replace(byte[] next)
                {
                    _handle.Dispose();
                    var lease = PinLease<byte>.Acquire(next);
                    lease.RevocationRequested.Register(() =>
                    {
                        // TODO(PinLease): the owner wants the buffer back: stop all native use of it here (deregister it), then dispose the lease.
                        lease.Dispose();
                    });
                    _handle = lease;
                }

                public IntPtr Address => _handle.Address;

                public void Dispose() => _handle.Dispose();
            }
            """);

    [Fact]
    public async Task CSharp7_3_NullCheckInsteadOfAPattern()
    {
        var test = new Verify.Test
        {
            TestCode = """
                using System;
                using System.Runtime.InteropServices;

                sealed class Device
                {
                    private GCHandle _handle;

                    public void Open(byte[] buffer) => _handle = {|PIN1001:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};

                    public bool IsOpen => _handle.IsAllocated;

                    public bool IsClosed => !_handle.IsAllocated;
                }
                """,
            FixedCode = """
                using System;
                using System.Runtime.InteropServices;
                using PinAnalyzers.Leases;

                sealed class Device
                {
                    private PinLease<byte> _handle;

                    public void Open(byte[] buffer)
                    {
                        var lease = PinLease<byte>.Acquire(buffer);
                        lease.RevocationRequested.Register(() =>
                        {
                            // TODO(PinLease): the owner wants the buffer back: stop all native use of it here (deregister it), then dispose the lease.
                            lease.Dispose();
                        });
                        _handle = lease;
                    }

                    public bool IsOpen => _handle != null && _handle.IsPinned;

                    public bool IsClosed => !(_handle != null && _handle.IsPinned);
                }
                """,
            CodeActionEquivalenceKey = Key,
        };
        test.TestState.AdditionalReferences.Add(LeaseLibrary);
        test.UseLanguageVersion(LanguageVersion.CSharp7_3);
        await test.RunAsync(CancellationToken.None);
        await LeaseFixVerifier.AssertCleanAsync(test.FixedState.Sources[0].Item2.ToString());
    }

    // ---- Fix All ----

    [Fact]
    public Task FixAll_TwoFieldsInOneTypeAndTwoTypesInOneDocument()
        => VerifyFixAllAsync("""
            using System;
            using System.Runtime.InteropServices;

            sealed class Duplex : IDisposable
            {
                private GCHandle _send;
                private GCHandle _receive;

                public Duplex(byte[] send, byte[] receive)
                {
                    _send = {|PIN1001:GCHandle.Alloc(send, GCHandleType.Pinned)|};
                    _receive = {|PIN1001:GCHandle.Alloc(receive, GCHandleType.Pinned)|};
                }

                public IntPtr Send => _send.AddrOfPinnedObject();

                public IntPtr Receive => _receive.AddrOfPinnedObject();

                public void Dispose()
                {
                    _send.Free();
                    _receive.Free();
                }
            }

            sealed class Ring
            {
                private GCHandle _handle;

                public Ring(int size) => _handle = {|PIN1001:GCHandle.Alloc(new long[size], GCHandleType.Pinned)|};

                public IntPtr Slots => _handle.AddrOfPinnedObject();
            }
            """, """
            using System;
            using System.Runtime.InteropServices;
            using PinAnalyzers.Leases;

            sealed class Duplex : IDisposable
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

                public IntPtr Send => _send.Address;

                public IntPtr Receive => _receive.Address;

                public void Dispose()
                {
                    _send.Dispose();
                    _receive.Dispose();
                }
            }

            sealed class Ring
            {
                private PinLease<long> _handle;

                public Ring(int size)
                {
                    var lease = PinLease<long>.Allocate(size);
                    lease.RevocationRequested.Register(() =>
                    {
                        // TODO(PinLease): the owner wants the buffer back: stop all native use of it here (deregister it), then dispose the lease.
                        lease.Dispose();
                    });
                    _handle = lease;
                }

                public IntPtr Slots => _handle.Address;
            }
            """, iterations: 3);

    // ---- shapes with no fix ----

    [Fact]
    public Task TargetIsNotAnArrayOfAnUnmanagedType_NoFix()
        => VerifyNoFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            sealed class Text
            {
                private GCHandle _handle;

                public Text(string text) => _handle = {|PIN1001:GCHandle.Alloc(text, GCHandleType.Pinned)|};

                public IntPtr Chars => _handle.AddrOfPinnedObject();
            }

            sealed class Names
            {
                private GCHandle _handle;

                public Names(int count) => _handle = {|PIN1001:GCHandle.Alloc(new string[count], GCHandleType.Pinned)|};
            }

            sealed class Grid
            {
                private GCHandle _handle;

                public Grid(int[,] cells) => _handle = {|PIN1001:GCHandle.Alloc(cells, GCHandleType.Pinned)|};
            }
            """);

    [Fact]
    public Task HandleUsedInAnUnsupportedWay_NoFix()
        => VerifyNoFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            sealed class Cookie
            {
                private GCHandle _handle;

                public Cookie(byte[] buffer) => _handle = {|PIN1001:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};

                public IntPtr Token => GCHandle.ToIntPtr(_handle);
            }

            sealed class Copier
            {
                private GCHandle _handle;

                public Copier(byte[] buffer) => _handle = {|PIN1001:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};

                public GCHandle Handle() { var copy = _handle; return copy; }
            }

            sealed class Retarget
            {
                private GCHandle _handle;

                public Retarget(byte[] buffer) => _handle = {|PIN1001:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};

                public void Swap(byte[] other) => _handle.Target = other;
            }

            sealed class Shared
            {
                internal GCHandle Handle;

                public Shared(byte[] buffer) => Handle = {|PIN1001:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
            }

            sealed class Initialized
            {
                private static readonly byte[] s_buffer = new byte[64];
                private static GCHandle s_handle = {|PIN1001:GCHandle.Alloc(s_buffer, GCHandleType.Pinned)|};

                public static IntPtr Address => s_handle.AddrOfPinnedObject();
            }
            """);

    [Fact]
    public Task HandleInALocal_NoFix()
        => VerifyNoFixAsync("""
            using System;
            using System.Collections.Generic;
            using System.Runtime.InteropServices;

            sealed class Pins
            {
                private readonly List<GCHandle> _handles = new();

                public void Add(byte[] buffer)
                {
                    var handle = {|PIN1001:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                    _handles.Add(handle);
                }

                public static GCHandle Pin(byte[] buffer, List<GCHandle> all)
                {
                    var handle = {|PIN1001:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
                    all.Add(handle);
                    return handle;
                }
            }
            """);

    [Fact]
    public Task PartialTypeOrStruct_NoFix()
        => VerifyNoFixAsync("""
            using System;
            using System.Runtime.InteropServices;

            partial class Ring
            {
                private GCHandle _handle;

                public Ring(byte[] buffer) => _handle = {|PIN1001:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
            }

            partial class Ring
            {
                public IntPtr Address => _handle.AddrOfPinnedObject();
            }

            struct Pinned
            {
                private GCHandle _handle;

                public Pinned(byte[] buffer) => _handle = {|PIN1001:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};

                public IntPtr Address => _handle.AddrOfPinnedObject();
            }
            """);

    private static async Task VerifyFixAsync(string source, string fixedSource)
    {
        var test = new Verify.Test
        {
            TestCode = source,
            FixedCode = fixedSource,
            CodeActionEquivalenceKey = Key,
        };
        test.TestState.AdditionalReferences.Add(LeaseLibrary);
        await test.RunAsync(CancellationToken.None);
        await LeaseFixVerifier.AssertCleanAsync(fixedSource);
    }

    /// <summary>One fix at a time over <paramref name="iterations"/> rounds, and Fix All in one go, both give <paramref name="fixedSource"/>.</summary>
    private static async Task VerifyFixAllAsync(string source, string fixedSource, int iterations)
    {
        var test = new Verify.Test
        {
            TestCode = source,
            FixedCode = fixedSource,
            BatchFixedCode = fixedSource,
            CodeActionEquivalenceKey = Key,
            NumberOfIncrementalIterations = iterations,
            NumberOfFixAllIterations = 1,
        };
        test.TestState.AdditionalReferences.Add(LeaseLibrary);
        await test.RunAsync(CancellationToken.None);
        await LeaseFixVerifier.AssertCleanAsync(fixedSource);
    }

    /// <summary>The lease library is referenced, the diagnostics are reported, and no fix is offered.</summary>
    private static Task VerifyNoFixAsync(string source)
    {
        var test = new Verify.Test
        {
            TestCode = source,
            FixedCode = source,
        };
        test.TestState.AdditionalReferences.Add(LeaseLibrary);
        return test.RunAsync(CancellationToken.None);
    }
}
