using Xunit;
using Fix = PinAnalyzers.Tests.Verifiers.CodeFixVerifier<PinAnalyzers.FixedPointerAnalyzer, PinAnalyzers.CodeFixes.ExtendFixedStatementCodeFix>;

namespace PinAnalyzers.Tests;

public sealed class PIN2001ExtendFixedCodeFixTests
{
    private const string Key = PinAnalyzers.CodeFixes.ExtendFixedStatementCodeFix.EquivalenceKey;

    [Fact]
    public Task MovesLaterUsesIntoTheStatement()
        => Fix.VerifyFixAsync("""
            using System;

            unsafe static class Parser
            {
                public static int Peek(byte[] data)
                {
                    byte* q = null;
                    fixed (byte* p = data)
                    {
                        {|PIN2001:q = p + 1|};
                    }

                    var value = *q;
                    Console.WriteLine(value);
                    return value;
                }
            }
            """, """
            using System;

            unsafe static class Parser
            {
                public static int Peek(byte[] data)
                {
                    byte* q = null;
                    fixed (byte* p = data)
                    {
                        q = p + 1;
                        var value = *q;
                        Console.WriteLine(value);
                        return value;
                    }
                }
            }
            """, Key);

    [Fact]
    public Task StatementsAfterTheLastUseStayOutside()
        => Fix.VerifyFixAsync("""
            using System;

            unsafe static class Parser
            {
                public static void Dump(byte[] data)
                {
                    byte* q = null;
                    fixed (byte* p = data)
                    {
                        {|PIN2001:q = p|};
                    }

                    Console.WriteLine(*q);
                    Console.WriteLine("done");
                }
            }
            """, """
            using System;

            unsafe static class Parser
            {
                public static void Dump(byte[] data)
                {
                    byte* q = null;
                    fixed (byte* p = data)
                    {
                        q = p;
                        Console.WriteLine(*q);
                    }

                    Console.WriteLine("done");
                }
            }
            """, Key);

    [Fact]
    public Task FixAllExtendsForEveryEscapedLocal()
        => Fix.VerifyFixAllAsync("""
            unsafe static class Parser
            {
                public static int Sum(byte[] data)
                {
                    byte* first = null;
                    byte* last = null;
                    fixed (byte* p = data)
                    {
                        {|PIN2001:first = p|};
                        {|PIN2001:last = p + data.Length - 1|};
                    }

                    return *first + *last;
                }
            }
            """, """
            unsafe static class Parser
            {
                public static int Sum(byte[] data)
                {
                    byte* first = null;
                    byte* last = null;
                    fixed (byte* p = data)
                    {
                        first = p;
                        last = p + data.Length - 1;
                        return *first + *last;
                    }
                }
            }
            """, """
            unsafe static class Parser
            {
                public static int Sum(byte[] data)
                {
                    byte* first = null;
                    byte* last = null;
                    fixed (byte* p = data)
                    {
                        first = p;
                        last = p + data.Length - 1;
                        return *first + *last;
                    }
                }
            }
            """, Key, iterations: 1);

    [Fact]
    public Task NoFixAcrossAwait()
        => Fix.VerifyNoFixAsync("""
            using System.Threading.Tasks;

            static class Parser
            {
                public static async Task<int> Peek(byte[] data)
                {
                    nint q = 0;
                    unsafe
                    {
                        fixed (byte* p = data)
                        {
                            {|PIN2001:q = (nint)p|};
                        }
                    }

                    await Task.Yield();
                    return (int)q;
                }
            }
            """);

    [Fact]
    public Task NoFixWhenThePointerIsReturned()
        => Fix.VerifyNoFixAsync("""
            unsafe static class Parser
            {
                public static byte* Skip(byte[] data)
                {
                    byte* q = null;
                    fixed (byte* p = data)
                    {
                        {|PIN2001:q = p + 1|};
                    }

                    return q;
                }
            }
            """);

    [Fact]
    public Task NoFixWhenTheLocalIsUsedOutsideTheBlock()
        => Fix.VerifyNoFixAsync("""
            unsafe static class Parser
            {
                public static int Peek(byte[] data, bool flag)
                {
                    byte* q = null;
                    if (flag)
                    {
                        fixed (byte* p = data)
                        {
                            {|PIN2001:q = p|};
                        }

                        q += 1;
                    }

                    return *q;
                }
            }
            """);
}
