using Xunit;
using Verify = PinAnalyzers.Tests.Verifiers.LeaseAnalyzerVerifier<PinAnalyzers.LeaseAnalyzer>;

namespace PinAnalyzers.Tests;

public sealed class PIN5002ScopeAddressOutlivesScopeTests
{
    [Fact]
    public Task AddressStoredInField()
        => Verify.VerifyAsync("""
            using System;
            using PinAnalyzers.Leases;

            sealed class Cursor
            {
                private IntPtr _position;

                public void Reset(PinLease<byte> lease)
                {
                    using var scope = lease.Enter();
                    {|#0:_position = scope.Address|};
                }
            }
            """,
            Verify.Diagnostic("PIN5002").WithLocation(0).WithArguments("stored in field '_position'"));

    [Fact]
    public Task OffsetAddressStoredInStaticField()
        => Verify.VerifyAsync("""
            using System;
            using PinAnalyzers.Leases;

            static class Frames
            {
                private static IntPtr s_payload;

                public static void Parse(PinLease<byte> lease, int headerSize)
                {
                    using var scope = lease.Enter();
                    {|#0:s_payload = scope.Address + headerSize|};
                }
            }
            """,
            Verify.Diagnostic("PIN5002").WithLocation(0).WithArguments("stored in static field 's_payload'"));

    [Fact]
    public Task EveryEscapeOfACopiedPointerIsReported()
        => Verify.VerifyAsync("""
            using PinAnalyzers.Leases;

            unsafe sealed class FrameReader
            {
                private byte* _cursor;
                private byte* _end;

                public void Reset(PinLease<byte> frame)
                {
                    using var scope = frame.Enter();
                    var p = (byte*)scope.Address;
                    {|#0:_cursor = p|};
                    {|#1:_end = p + scope.Length|};
                }
            }
            """,
            Verify.Diagnostic("PIN5002").WithLocation(0).WithArguments("stored in field '_cursor'"),
            Verify.Diagnostic("PIN5002").WithLocation(1).WithArguments("stored in field '_end'"));

    [Fact]
    public Task AddressStoredInProperty()
        => Verify.VerifyAsync("""
            using System;
            using PinAnalyzers.Leases;

            sealed class Registration
            {
                public IntPtr Buffer { get; set; }

                public void Register(PinLease<byte> lease)
                {
                    using var scope = lease.Enter();
                    {|#0:Buffer = scope.Address|};
                }
            }
            """,
            Verify.Diagnostic("PIN5002").WithLocation(0).WithArguments("stored in property 'Buffer'"));

    [Fact]
    public Task AddressStoredInArrayElement()
        => Verify.VerifyAsync("""
            using System;
            using PinAnalyzers.Leases;

            static class Table
            {
                public static void Fill(PinLease<byte> lease, IntPtr[] slots)
                {
                    using var scope = lease.Enter();
                    {|#0:slots[0] = scope.Address|};
                }
            }
            """,
            Verify.Diagnostic("PIN5002").WithLocation(0).WithArguments("stored in an array element"));

    [Fact]
    public Task AddressAddedToCollection()
        => Verify.VerifyAsync("""
            using System;
            using System.Collections.Generic;
            using PinAnalyzers.Leases;

            static class Table
            {
                public static void Fill(PinLease<byte> lease, List<IntPtr> registered)
                {
                    using var scope = lease.Enter();
                    registered.Add({|#0:scope.Address|});
                }
            }
            """,
            Verify.Diagnostic("PIN5002").WithLocation(0).WithArguments("added to collection 'registered'"));

    [Fact]
    public Task AddressReturned()
        => Verify.VerifyAsync("""
            using System;
            using PinAnalyzers.Leases;

            static class Table
            {
                public static IntPtr AddressOf(PinLease<byte> lease)
                {
                    using var scope = lease.Enter();
                    {|#0:return scope.Address;|}
                }
            }
            """,
            Verify.Diagnostic("PIN5002").WithLocation(0).WithArguments("returned"));

    [Fact]
    public Task AddressCapturedByLambda()
        => Verify.VerifyAsync("""
            using System;
            using System.Threading.Tasks;
            using PinAnalyzers.Leases;

            static class Writer
            {
                private static void Write(IntPtr buffer, int count)
                {
                }

                public static Task WriteLater(PinLease<byte> lease)
                {
                    using var scope = lease.Enter();
                    var address = scope.Address;
                    return Task.Run(() => Write({|#0:address|}, 16));
                }
            }
            """,
            Verify.Diagnostic("PIN5002").WithLocation(0).WithArguments("captured by a lambda"));

    [Fact]
    public Task AddressCapturedByLocalFunction()
        => Verify.VerifyAsync("""
            using System;
            using PinAnalyzers.Leases;

            static class Writer
            {
                public static Action Prepare(PinLease<byte> lease)
                {
                    using var scope = lease.Enter();
                    var address = scope.Address;
                    return Send;

                    void Send() => Console.WriteLine({|#0:address|});
                }
            }
            """,
            Verify.Diagnostic("PIN5002").WithLocation(0).WithArguments("captured by local function 'Send'"));

    [Fact]
    public Task AddressWrittenToOutParameter()
        => Verify.VerifyAsync("""
            using System;
            using PinAnalyzers.Leases;

            static class Table
            {
                public static bool TryGetAddress(PinLease<byte> lease, out IntPtr address)
                {
                    using var scope = lease.Enter();
                    {|#0:address = scope.Address|};
                    return true;
                }
            }
            """,
            Verify.Diagnostic("PIN5002").WithLocation(0).WithArguments("written to out parameter 'address'"));

    [Fact]
    public Task AddressWrittenToRefParameter()
        => Verify.VerifyAsync("""
            using System;
            using PinAnalyzers.Leases;

            static class Table
            {
                public static void Update(PinLease<byte> lease, ref IntPtr address)
                {
                    using var scope = lease.Enter();
                    {|#0:address = scope.Address|};
                }
            }
            """,
            Verify.Diagnostic("PIN5002").WithLocation(0).WithArguments("written to ref parameter 'address'"));

    [Fact]
    public Task PointerFromSpanStoredInField()
        => Verify.VerifyAsync("""
            using PinAnalyzers.Leases;

            unsafe sealed class Reader
            {
                private byte* _cursor;

                public void Reset(PinLease<byte> lease)
                {
                    using var scope = lease.Enter();
                    fixed (byte* p = scope.Span)
                    {
                        {|#0:_cursor = p|};
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN5002").WithLocation(0).WithArguments("stored in field '_cursor'"));

    [Fact]
    public Task PointerToFirstSpanElementStoredInField()
        => Verify.VerifyAsync("""
            using System.Runtime.CompilerServices;
            using System.Runtime.InteropServices;
            using PinAnalyzers.Leases;

            unsafe sealed class Reader
            {
                private byte* _cursor;

                public void Reset(PinLease<byte> lease)
                {
                    using var scope = lease.Enter();
                    {|#0:_cursor = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(scope.Span))|};
                }
            }
            """,
            Verify.Diagnostic("PIN5002").WithLocation(0).WithArguments("stored in field '_cursor'"));

    [Fact]
    public Task MappedViewScopeAddressStoredInField()
        => Verify.VerifyAsync("""
            using System;
            using PinAnalyzers.Leases;

            sealed class LogWriter
            {
                private IntPtr _tail;

                public void Open(MappedViewLease log)
                {
                    using var scope = log.Enter();
                    {|#0:_tail = scope.Address|};
                }
            }
            """,
            Verify.Diagnostic("PIN5002").WithLocation(0).WithArguments("stored in field '_tail'"));

    [Fact]
    public Task TryEnterScopeAddressStoredInField()
        => Verify.VerifyAsync("""
            using System;
            using PinAnalyzers.Leases;

            sealed class Cursor
            {
                private IntPtr _position;

                public bool Reset(PinLease<byte> lease)
                {
                    if (!lease.TryEnter(out var scope))
                    {
                        return false;
                    }

                    using (scope)
                    {
                        {|#0:_position = scope.Address|};
                    }

                    return true;
                }
            }
            """,
            Verify.Diagnostic("PIN5002").WithLocation(0).WithArguments("stored in field '_position'"));

    [Fact]
    public Task AddressCastToPointerStoredInField()
        => Verify.VerifyAsync("""
            using PinAnalyzers.Leases;

            unsafe sealed class Reader
            {
                private byte* _payload;

                public void Reset(PinLease<byte> lease, int headerSize)
                {
                    using var scope = lease.Enter();
                    {|#0:_payload = (byte*)scope.Address + headerSize|};
                }
            }
            """,
            Verify.Diagnostic("PIN5002").WithLocation(0).WithArguments("stored in field '_payload'"));

    // ---- valid code: no PIN5002 ----

    [Fact]
    public Task AddressPassedToPInvokeInsideScope()
        => Verify.VerifyAsync("""
            using System.Runtime.InteropServices;
            using PinAnalyzers.Leases;

            static class Native
            {
                [DllImport("libc")] private static extern nint write(int fd, nint buffer, nint count);

                public static void Send(int fd, PinLease<byte> lease, int headerSize)
                {
                    using var scope = lease.Enter();
                    var payload = scope.Address + headerSize;
                    write(fd, payload, scope.Length - headerSize);
                }
            }
            """);

    [Fact]
    public Task AddressPassedToSynchronousManagedCall()
        => Verify.VerifyAsync("""
            using System;
            using PinAnalyzers.Leases;

            static class Checksums
            {
                private static unsafe uint Sum(IntPtr buffer, int count)
                {
                    uint sum = 0;
                    for (var i = 0; i < count; i++)
                    {
                        sum += ((byte*)buffer)[i];
                    }

                    return sum;
                }

                public static uint Of(PinLease<byte> lease)
                {
                    using var scope = lease.Enter();
                    return Sum(scope.Address, scope.Length);
                }
            }
            """);

    [Fact]
    public Task DataReadFromSpanMayGoAnywhere()
        => Verify.VerifyAsync("""
            using PinAnalyzers.Leases;

            sealed class Header
            {
                private byte _version;
                private byte[] _copy = System.Array.Empty<byte>();
                private int _length;

                public void Read(PinLease<byte> lease)
                {
                    using var scope = lease.Enter();
                    _version = scope.Span[0];
                    _copy = scope.Span.Slice(0, 4).ToArray();
                    _length = scope.Length;
                }
            }
            """);

    [Fact]
    public Task PointerFromSpanUsedInsideScope()
        => Verify.VerifyAsync("""
            using PinAnalyzers.Leases;

            static class Checksums
            {
                public static unsafe uint Of(PinLease<byte> lease)
                {
                    using var scope = lease.Enter();
                    uint sum = 0;
                    fixed (byte* p = scope.Span)
                    {
                        for (var i = 0; i < scope.Length; i++)
                        {
                            sum += p[i];
                        }
                    }

                    return sum;
                }
            }
            """);

    [Fact]
    public Task LeaseAddressRegisteredByHolderIsNotAScopeAddress()
        => Verify.VerifyAsync("""
            using System;
            using PinAnalyzers.Leases;

            sealed class Nic
            {
                private readonly PinLease<byte> _lease;
                private IntPtr _registered;

                public Nic(PinLease<byte> lease)
                {
                    _lease = lease;
                    _registered = lease.Address;
                    lease.RevocationRequested.Register(() => _registered = IntPtr.Zero);
                }
            }
            """);

    [Fact]
    public Task AddressKeptInALocalInsideTheScope()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;
            using PinAnalyzers.Leases;

            static class Native
            {
                [DllImport("libc")] private static extern int fill(nint buffer, int count);

                public static int FillAll(PinLease<byte>[] leases)
                {
                    var total = 0;
                    foreach (var lease in leases)
                    {
                        using var scope = lease.Enter();
                        IntPtr address = scope.Address;
                        total += fill(address, scope.Length);
                    }

                    return total;
                }
            }
            """);

    // ---- broken code ----

    [Fact]
    public Task HalfTypedCodeDoesNotCrash()
        => Verify.VerifyNoCrashAsync("""
            using System;
            using PinAnalyzers.Leases;

            sealed class Cursor
            {
                private IntPtr _position;
                private IntPtr[] _slots;

                public IntPtr Reset(PinLease<byte> lease)
                {
                    using var scope = lease.Enter(
                    _position = scope.Address +
                    _slots[] = scope.
                    Action a = () => _position = scope.Address;
                    return scope.Adress;
                }
            """);
}
