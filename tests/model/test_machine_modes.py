"""Hard and soft machine modes in the reasoning module, symbols and output labels."""

import pytest
import torch
from huggingface_hub.errors import StrictDataclassClassValidationError

import nclib
from nclib.model import CallStatus, NCCall, NCLlamaConfig, NCLlamaForCausalLM
from nclib.model.reasoning import ListArg, MachineMode
from nclib.model.reasoning.state import take_rows

from ncllama_testing import encode

CALLS = [("insertion_sort", "Sort: 5 3 1 9 2 ->", [[0, 1, 2, 3, 4]], "1, 2, 3, 5, 9"),
         ("add", "What is 12+34? Answer:", [[0], [1]], "46")]


@pytest.fixture(scope="module")
def small_library():
    src = {"insertion_sort": "sorting", "add": "arithmetic"}
    from importlib import resources

    return [nclib.compile((resources.files("nclib.routines") / f"{m}.py").read_text(), entry=n, values=(0, 64), memory=32)
            for n, m in src.items()]


@pytest.mark.parametrize("routine, prompt, args, answer", CALLS, ids=[c[0] for c in CALLS])
def test_hard_and_soft_modes_write_the_same_tape(tiny_base, small_library, llama_tok, routine, prompt, args, answer):
    ids, mask = encode(llama_tok, [prompt])
    outs = {}
    for mode in ("soft", "hard"):
        torch.manual_seed(1)
        model = NCLlamaForCausalLM.from_base(tiny_base, library=small_library, tokenizer=llama_tok, nc_machine_mode=mode).eval()
        call = model.reasoning.make_call(ids, [routine], [args])
        with torch.no_grad():
            outs[mode] = model(ids, attention_mask=mask, nc_call=call, use_cache=True)
    soft, hard = outs["soft"], outs["hard"]
    assert soft.nc_status.tolist() == hard.nc_status.tolist() == [CallStatus.CALLED]
    assert soft.nc_args == hard.nc_args
    assert torch.equal(soft.nc_state.tape_len, hard.nc_state.tape_len)
    n = int(hard.nc_state.tape_len[0])
    assert hard.nc_state.world_mass.tolist() == [[1.0]]
    one_hot = torch.nn.functional.one_hot(hard.nc_state.world_tokens[:, 0, :n], soft.nc_state.tape.shape[-1]).float()
    assert torch.allclose(soft.nc_state.tape[:, :n], one_hot, atol=1e-5)
    assert model.reasoning.written_ids(soft.nc_state, 0) == model.reasoning.written_ids(hard.nc_state, 0)
    assert llama_tok.decode(model.reasoning.written_ids(hard.nc_state, 0)).startswith(answer)


def test_hard_mode_fault_falls_back(tiny_base, small_library, llama_tok):
    """56 + 9 leaves the (0, 64) window: the hard run overflows, the example gets "no call"."""
    model = NCLlamaForCausalLM.from_base(tiny_base, library=small_library, tokenizer=llama_tok, nc_machine_mode="hard").eval()
    ids, mask = encode(llama_tok, ["What is 56+9? Answer:"])
    call = model.reasoning.make_call(ids, ["add"], [[[0], [1]]])
    with torch.no_grad():
        out = model(ids, attention_mask=mask, nc_call=call)
    assert out.nc_status.tolist() == [CallStatus.FAULT]
    assert out.nc_args == [[56, 9]]  # the run happened (and faulted): its arguments stay visible


def test_symbols_and_labels(tiny_base, llama_tok):
    lib = nclib.stdlib(values=(0, 128), memory=112)
    model = NCLlamaForCausalLM.from_base(tiny_base, library=[lib["reachable"]], tokenizer=llama_tok, nc_machine_mode="hard",
                                         symbols=[" lobby", " A", " B"], labels={"reachable": [" No", " Yes"]}).eval()
    ids, mask = encode(llama_tok, ["Doors: lobby to A. Can you get to A from lobby?"])
    value, is_end, _ = model.reasoning.vocab.read_numbers(ids)
    assert value[is_end].tolist() == [0, 1, 1, 0]
    call = model.reasoning.make_call(ids, ["reachable"], [[[0, 1], [3], [2]]])
    with torch.no_grad():
        out = model(ids, attention_mask=mask, nc_call=call, use_cache=True)
    assert out.nc_args == [[[0, 1], 0, 1]]
    assert llama_tok.decode(model.reasoning.written_ids(out.nc_state, 0)) == " Yes<|end_of_text|>"


def test_bad_symbols_and_labels_are_named(tiny_base, llama_tok):
    lib = [nclib.stdlib()["add"]]
    with pytest.raises(ValueError, match="' lobby room' must be a single token"):
        NCLlamaForCausalLM.from_base(tiny_base, library=lib, tokenizer=llama_tok, symbols=[" lobby room"])
    with pytest.raises(KeyError, match="'reachable'"):
        NCLlamaForCausalLM.from_base(tiny_base, library=lib, tokenizer=llama_tok, labels={"reachable": [" No", " Yes"]})
    with pytest.raises(StrictDataclassClassValidationError, match="nc_machine_mode must be one of"):
        NCLlamaConfig(nc_machine_mode="fast")


@pytest.mark.parametrize("mode", list(MachineMode), ids=lambda m: m.value)
def test_the_call_state_carries_the_machine_mode(tiny_base, small_library, llama_tok, mode):
    """The mode is decided once, when the state is made, and read from it by every later step."""
    model = NCLlamaForCausalLM.from_base(tiny_base, library=small_library, tokenizer=llama_tok, nc_machine_mode=mode.value,
                                         nc_worlds_top_k=3).eval()
    ids, mask = encode(llama_tok, ["What is 12+34? Answer:"])
    with torch.no_grad():
        state = model(ids[:, :-1], attention_mask=mask[:, :-1], use_cache=True).nc_state
        step = model(ids, attention_mask=mask, use_cache=True).nc_state
    assert state.mode is step.mode is mode
    worlds = {MachineMode.SOFT: 0, MachineMode.HARD: 1, MachineMode.WORLDS: 3 * len(small_library)}[mode]
    assert state.world_tokens.shape[1] == worlds and state.tape.shape[1] == (0 if worlds else model.config.nc_max_answer_tokens)


def test_list_arguments_take_rows_and_give_python_values():
    arg = ListArg(torch.arange(12).view(3, 4), torch.tensor([4, 2, 0]))
    assert arg.tolist() == [[0, 1, 2, 3], [4, 5], []]
    part = take_rows(arg, torch.tensor([2, 1]))
    assert isinstance(part, ListArg) and part.tolist() == [[], [4, 5]]
    assert take_rows(torch.tensor([7, 8, 9]), [0, 2]).tolist() == [7, 9]
    assert NCCall(trigger=torch.tensor([3])).answers_only and not NCCall(torch.tensor([3]), torch.tensor([0])).answers_only
