using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace PinAnalyzers.AnalyzerBench
{
    /// <summary>
    /// Generates ordinary C# — loops, try/finally, lambdas and LINQ, async, pattern matching, spans and
    /// stackalloc, ref/out, ArrayPool — as <c>methods</c> methods spread over classes of
    /// <see cref="MethodsPerClass"/>, one class per file. With <c>pins</c> &gt; 0 the same code gets that many
    /// pin sites, one per method, spread evenly over the non-async methods, as a block at the start of the body.
    /// Every non-async method is <c>unsafe</c> with or without a pin (an async one cannot be).
    /// Everything except the pin blocks is identical whatever <c>pins</c> is, so differences come from pins.
    /// </summary>
    internal static class CodeGenerator
    {
        internal const int MethodsPerClass = 20;

        private const int Templates = 8;

        private const int AsyncTemplate = 3;

        /// <summary>The kinds of pin block, in rotation (10 per cycle, 3 of them bugs the analyzers report).</summary>
        internal static readonly string[] PinKinds =
        {
            "GCHandle.Alloc(Pinned) + try/finally Free",
            "fixed over a field array",
            "Unsafe.AsPointer(ref local)",
            "Memory<T>.Pin() in using",
            "GCHandle.Alloc(Pinned) + try/finally Free",
            "fixed over a field array",
            "Unsafe.AsPointer(ref array[0]) (PIN2003)",
            "GCHandle.Alloc(Pinned) kept in a field (PIN1001)",
            "fixed pointer stored in a field (PIN2001)",
            "Memory<T>.Pin() in using",
        };

        private static readonly int[] PinKindRotation = { 0, 1, 2, 3, 0, 1, 6, 4, 5, 3 };

        /// <summary>How many pin sites fit in <paramref name="methods"/> methods: one per non-async method.</summary>
        internal static int Capacity(int methods) => methods - ((methods + Templates - 1 - AsyncTemplate) / Templates);

        /// <param name="kind">Only this pin block (0-6, see <see cref="PinBlock"/>) instead of the rotation.</param>
        internal static IReadOnlyList<(string Path, string Text)> Generate(int methods, int pins, int? kind = null)
        {
            var candidates = new List<int>();
            for (var m = 0; m < methods; m++)
            {
                if (m % Templates != AsyncTemplate)
                {
                    candidates.Add(m);
                }
            }

            if (pins > candidates.Count)
            {
                throw new ArgumentOutOfRangeException(nameof(pins), $"at most {candidates.Count} pin sites fit in {methods} methods");
            }

            // Evenly spread: the k-th pin goes to candidate floor(k * count / pins).
            var pinOf = new Dictionary<int, int>();
            for (var k = 0; k < pins; k++)
            {
                pinOf[candidates[(int)((long)k * candidates.Count / pins)]] = k;
            }

            var files = new List<(string, string)>();
            var classes = (methods + MethodsPerClass - 1) / MethodsPerClass;
            for (var c = 0; c < classes; c++)
            {
                var text = new StringBuilder(16 * 1024);
                text.Append(Header);
                text.Append(Inv($"    public sealed partial class C{c} : IDisposable\n    {{\n"));
                text.Append(ClassMembers);
                for (var m = c * MethodsPerClass; m < Math.Min(methods, (c + 1) * MethodsPerClass); m++)
                {
                    var pin = pinOf.TryGetValue(m, out var k) ? PinBlock(k, kind ?? PinKindRotation[k % PinKindRotation.Length]) : string.Empty;
                    text.Append(Method(m, pin));
                }

                text.Append("    }\n}\n");
                files.Add((Inv($"Generated/C{c}.cs"), text.ToString()));
            }

            files.Add(("Generated/Native.cs", NativeFile));
            return files;
        }

        private const string Header = @"using System;
using System.Buffers;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Generated
{
";

        private const string ClassMembers = @"        private readonly object _gate = new object();
        private readonly List<int> _items = new List<int>();
        private readonly byte[] _buffer = new byte[256];
        private int _state;
        private GCHandle _kept;
        private unsafe byte* _keptPointer;

        public int State => _state;

        public unsafe bool HasKept => _kept.IsAllocated || _keptPointer != null;

        public void Dispose()
        {
            _items.Clear();
        }

";

        private const string NativeFile = @"using System;
using System.Runtime.InteropServices;

namespace Generated
{
    internal static unsafe class Native
    {
        [DllImport(""native"")]
        internal static extern int Consume(byte* pointer, int length);

        [DllImport(""native"")]
        internal static extern int ConsumeAddress(IntPtr address, int length);
    }
}
";

        private static string Method(int m, string pin)
        {
            switch (m % Templates)
            {
                case 0:
                    return Inv($@"        public unsafe int M{m}(int[] values)
        {{
{pin}            int sum = 0;
            for (int j = 0; j < values.Length; j++)
            {{
                sum += values[j] * {m};
                if (sum > 100000)
                {{
                    sum -= 100000;
                }}
            }}

            foreach (var item in _items)
            {{
                sum ^= item;
            }}

            while (sum > {m} + 10)
            {{
                sum /= 2;
            }}

            return sum;
        }}

");
                case 1:
                    return Inv($@"        public unsafe int M{m}(string text)
        {{
{pin}            Monitor.Enter(_gate);
            try
            {{
                _state += text.Length;
                var builder = new StringBuilder();
                builder.Append(text).Append({m});
                return builder.Length;
            }}
            finally
            {{
                Monitor.Exit(_gate);
            }}
        }}

");
                case 2:
                    return Inv($@"        public unsafe int M{m}(IEnumerable<int> source)
        {{
{pin}            int offset = {m};
            Func<int, int> shift = x => x + offset;
            var result = source.Where(x => x % 3 == 0).Select(shift).OrderBy(x => -x).Take(5).ToList();
            result.ForEach(x => _state += x);
            return result.Sum();
        }}

");
                case AsyncTemplate:
                    return Inv($@"        public async Task<int> M{m}Async(Stream? stream, CancellationToken cancellationToken)
        {{
            int total = 0;
            for (int j = 0; j < 3; j++)
            {{
                await Task.Yield();
                total += j;
            }}

            try
            {{
                await Task.Delay(0, cancellationToken).ConfigureAwait(false);
            }}
            catch (OperationCanceledException)
            {{
                total = -1;
            }}

            if (stream is not null)
            {{
                var buffer = new byte[16];
                total += await stream.ReadAsync(buffer.AsMemory(), cancellationToken).ConfigureAwait(false);
            }}

            return total + {m};
        }}

");
                case 4:
                    return Inv($@"        public unsafe string M{m}(object? value)
        {{
{pin}            using var cancellation = new CancellationTokenSource();
            string Describe(int n) => n switch
            {{
                0 => ""zero"",
                < 0 => ""negative"",
                _ => ""n"" + n.ToString(CultureInfo.InvariantCulture),
            }};

            return value switch
            {{
                int n => Describe(n + {m}),
                string s when s.Length > 0 => s.ToUpperInvariant(),
                IEnumerable<int> e => Describe(e.Count()),
                null => ""null"",
                _ => value.ToString() ?? string.Empty,
            }};
        }}

");
                case 5:
                    return Inv($@"        public unsafe int M{m}(ReadOnlySpan<byte> data)
        {{
{pin}            Span<byte> scratch = stackalloc byte[32];
            data.Slice(0, Math.Min(data.Length, 32)).CopyTo(scratch);
            int hash = {m};
            foreach (byte b in scratch)
            {{
                hash = (hash * 31) + b;
            }}

            byte* local = stackalloc byte[8];
            local[0] = (byte)hash;
            return hash + local[0] + Native.Consume(local, 8);
        }}

");
                case 6:
                    return Inv($@"        public unsafe bool M{m}(string input, out int parsed)
        {{
{pin}            if (!int.TryParse(input, NumberStyles.Integer, CultureInfo.InvariantCulture, out parsed))
            {{
                throw new ArgumentException(""bad "" + input, nameof(input));
            }}

            ref int slot = ref _state;
            slot += parsed;
            var map = new Dictionary<string, int> {{ [""a""] = parsed, [""b""] = {m} }};
            return map.TryGetValue(""a"", out var a) && a == parsed;
        }}

");
                default:
                    return Inv($@"        public unsafe int M{m}(int size)
        {{
{pin}            byte[] rented = ArrayPool<byte>.Shared.Rent(size);
            try
            {{
                Memory<byte> memory = rented.AsMemory(0, size);
                memory.Span.Fill((byte){m % 256});
                return memory.Length;
            }}
            finally
            {{
                ArrayPool<byte>.Shared.Return(rented);
            }}
        }}

");
            }
        }

        /// <summary>
        /// Pin block number <paramref name="k"/> of kind <paramref name="kind"/>: 0 GCHandle + try/finally, 1 fixed,
        /// 2 Unsafe.AsPointer of a local, 3 Memory.Pin in using, 4 GCHandle kept in a field (PIN1001),
        /// 5 fixed pointer stored in a field (PIN2001), 6 Unsafe.AsPointer of an array element (PIN2003).
        /// </summary>
        private static string PinBlock(int k, int kind)
        {
            switch (kind)
            {
                case 0:
                    return Inv($@"            {{
                var pinBuffer{k} = new byte[64];
                GCHandle pinHandle{k} = GCHandle.Alloc(pinBuffer{k}, GCHandleType.Pinned);
                try
                {{
                    Native.ConsumeAddress(pinHandle{k}.AddrOfPinnedObject(), pinBuffer{k}.Length);
                }}
                finally
                {{
                    pinHandle{k}.Free();
                }}
            }}

");
                case 1:
                    return Inv($@"            fixed (byte* pinPointer{k} = _buffer)
            {{
                Native.Consume(pinPointer{k}, _buffer.Length);
            }}

");
                case 2:
                    return Inv($@"            {{
                int pinLocal{k} = {k};
                void* pinAddress{k} = Unsafe.AsPointer(ref pinLocal{k});
                Native.Consume((byte*)pinAddress{k}, sizeof(int));
            }}

");
                case 3:
                    return Inv($@"            {{
                Memory<byte> pinMemory{k} = _buffer.AsMemory();
                using (MemoryHandle pinMemoryHandle{k} = pinMemory{k}.Pin())
                {{
                    Native.Consume((byte*)pinMemoryHandle{k}.Pointer, pinMemory{k}.Length);
                }}
            }}

");
                case 4:
                    return Inv($@"            _kept = GCHandle.Alloc(_buffer, GCHandleType.Pinned);

");
                case 5:
                    return Inv($@"            fixed (byte* pinPointer{k} = _buffer)
            {{
                _keptPointer = pinPointer{k};
            }}

");
                default:
                    return Inv($@"            {{
                void* pinElement{k} = Unsafe.AsPointer(ref _buffer[0]);
                Native.Consume((byte*)pinElement{k}, 1);
            }}

");
            }
        }

        private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
    }
}
