using Xunit;
using Verify = PinAnalyzers.Tests.Verifiers.AnalyzerVerifier<PinAnalyzers.FixedPointerAnalyzer>;
using VerifyHandle = PinAnalyzers.Tests.Verifiers.AnalyzerVerifier<PinAnalyzers.PinnedHandleAnalyzer>;

namespace PinAnalyzers.Tests;

/// <summary>
/// Values that carry an address (DESIGN.md): objects built by a constructor that stores the address or by an object
/// initializer, and addresses derived through element access, members and fixed-size buffers.
/// </summary>
public sealed class PIN2001AddressCarryingValueTests
{
    private const string Types = """
        readonly struct SpanByte
        {
            private readonly int _length;
            private readonly System.IntPtr _payload;

            public SpanByte(int length, System.IntPtr payload)
            {
                _length = length;
                _payload = payload;
            }

            public int Length => _length;
        }

        readonly struct Measure
        {
            public Measure(int length, System.IntPtr payload) => Length = length + (int)((long)payload & 1);

            public int Length { get; }
        }

        sealed class Holder
        {
            public System.IntPtr Pointer;
        }
        """;

    [Fact]
    public Task ValuesThatStoreTheAddressEscape()
        => Verify.VerifyAsync($$"""
            using System;

            {{Types}}

            static unsafe class C
            {
                public static SpanByte Make(byte[] data)
                {
                    fixed (byte* p = data)
                    {
                        {|#0:return new SpanByte(data.Length, (IntPtr)p);|}
                    }
                }

                public static Holder Init(byte[] data)
                {
                    fixed (byte* p = data)
                    {
                        {|#1:return new Holder { Pointer = (IntPtr)p };|}
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN2001").WithLocation(0).WithArguments("returned"),
            Verify.Diagnostic("PIN2001").WithLocation(1).WithArguments("returned"));

    [Fact]
    public Task ConstructorsThatDoNotKeepThePointerAreNotEscapes()
        => Verify.VerifyAsync($$"""
            using System;
            using System.Text;

            {{Types}}

            static unsafe class C
            {
                [System.Runtime.InteropServices.DllImport("libc")] private static extern int consume(SpanByte value);

                public static string Text(byte[] data)
                {
                    fixed (byte* p = data)
                    {
                        return new string((sbyte*)p, 0, data.Length);
                    }
                }

                public static byte[] Copy(byte[] data)
                {
                    fixed (byte* p = data)
                    {
                        return new ReadOnlySpan<byte>(p, data.Length).ToArray();
                    }
                }

                public static string Decode(byte[] data)
                {
                    fixed (byte* p = data)
                    {
                        return Encoding.UTF8.GetString(p, data.Length);
                    }
                }

                public static Measure Measured(byte[] data)
                {
                    fixed (byte* p = data)
                    {
                        return new Measure(data.Length, (IntPtr)p);
                    }
                }

                public static int Used(byte[] data)
                {
                    fixed (byte* p = data)
                    {
                        var value = new SpanByte(data.Length, (IntPtr)p);
                        return consume(value) + new Holder { Pointer = (IntPtr)p }.GetHashCode();
                    }
                }
            }
            """);

    [Fact]
    public Task ValueCarryingAHandleAddressStoredInAField()
        => VerifyHandle.VerifyAsync($$"""
            using System.Runtime.InteropServices;

            {{Types}}

            sealed class Owner
            {
                private SpanByte _value;

                public void Keep(byte[] data)
                {
                    var handle = {|#0:GCHandle.Alloc(data, GCHandleType.Pinned)|};
                    _value = new SpanByte(data.Length, handle.AddrOfPinnedObject());
                }
            }
            """,
            VerifyHandle.Diagnostic("PIN1001").WithLocation(0).WithArguments("its address is stored in field '_value'"));

    [Fact]
    public Task DerivedAddresses()
        => Verify.VerifyAsync("""
            using System;

            unsafe struct Entry
            {
                public int Id;
                public fixed byte name[256];
            }

            struct Pair
            {
                public int A;
                public int B;
            }

            static unsafe class C
            {
                [System.Runtime.InteropServices.DllImport("libc")] private static extern void use(IntPtr[] names);

                private static int* s_slot;

                public static void Names(Entry[] entries)
                {
                    var names = new IntPtr[entries.Length];
                    fixed (Entry* p = entries)
                    {
                        for (var i = 0; i < entries.Length; i++)
                        {
                            {|#0:names[i] = (IntPtr)p[i].name|};
                        }
                    }

                    use(names);
                }

                public static void Member(Pair[] pairs)
                {
                    fixed (Pair* p = pairs)
                    {
                        {|#1:s_slot = &p->B|};
                    }
                }

                public static void Element(Pair[] pairs)
                {
                    fixed (Pair* p = pairs)
                    {
                        {|#2:s_slot = &p[1].A|};
                    }
                }

                public static int Values(Pair[] pairs, Entry[] entries)
                {
                    fixed (Pair* p = pairs)
                    fixed (Entry* e = entries)
                    {
                        var local = &p[0].A;
                        return p->B + p[1].A + e[0].Id + e->name[0] + *local;
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN2001").WithLocation(0).WithArguments("stored in an array element"),
            Verify.Diagnostic("PIN2001").WithLocation(1).WithArguments("stored in static field 's_slot'"),
            Verify.Diagnostic("PIN2001").WithLocation(2).WithArguments("stored in static field 's_slot'"));

    /// <summary>
    /// FFmpeg.AutoGen's <c>byte_ptr8 { [0] = p }</c>: an unmanaged struct with an indexer carries the address in itself,
    /// like a field of a struct local. Used inside the statement: no escape; stored in a field afterwards: reported. A
    /// struct whose indexer may write elsewhere (it holds a reference) stays a collection store.
    /// </summary>
    [Fact]
    public Task UnmanagedStructIndexersCarryTheAddress()
        => Verify.VerifyAsync("""
            using System;

            unsafe struct byte_ptr8
            {
                public byte* _0, _1;
                public byte* this[uint i] { get => i == 0 ? _0 : _1; set { if (i == 0) _0 = value; else _1 = value; } }
            }

            unsafe struct Frame { public byte_ptr8 data; public int height; }

            unsafe struct Table
            {
                private readonly IntPtr[] _slots;
                public Table(int n) => _slots = new IntPtr[n];
                public IntPtr this[int i] { get => _slots[i]; set => _slots[i] = value; }
            }

            unsafe class Encoder
            {
                private byte_ptr8 _kept;

                private static int Convert(Frame frame) => frame.height;

                public int Encode(byte[] bitmap)
                {
                    fixed (byte* p = bitmap)
                    {
                        var data = new byte_ptr8 { [0] = p };
                        var frame = new Frame { data = data, height = 4 };
                        return Convert(frame);
                    }
                }

                public void Keep(byte[] bitmap)
                {
                    fixed (byte* p = bitmap)
                    {
                        var data = new byte_ptr8();
                        data[0] = p;
                        {|#0:_kept = data|};
                    }
                }

                public void Slots(byte[] bitmap, Table table)
                {
                    fixed (byte* p = bitmap)
                    {
                        {|#1:table[0] = (IntPtr)p|};
                    }
                }
            }
            """,
            Verify.Diagnostic("PIN2001").WithLocation(0).WithArguments("stored in field '_kept'"),
            Verify.Diagnostic("PIN2001").WithLocation(1).WithArguments("stored in collection 'table'"));
}
